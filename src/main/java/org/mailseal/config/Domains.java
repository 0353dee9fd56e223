package org.mailseal.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Mail for these domains is inbound; {@code policies} overrides the global policy per domain. */
public record Domains(List<String> local, Map<String, PolicySettings> policies, List<String> allowUntrustedRouting) {
    public Domains {
        allowUntrustedRouting = allowUntrustedRouting != null
                ? allowUntrustedRouting.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList() : List.of();
        policies = policies != null ? Map.copyOf(Checks.lowerKeys(policies)) : Map.of();
        local = local != null ? local.stream().map(d -> {
            if (!d.matches("[\\p{L}\\p{N}.-]+") || d.startsWith(".") || d.endsWith(".")) {
                throw new IllegalArgumentException("bad domain '" + d + "'");
            }
            return d.toLowerCase(Locale.ROOT);
        }).toList() : List.of();
    }
}
