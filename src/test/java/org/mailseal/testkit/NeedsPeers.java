package org.mailseal.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The peers a whole test class needs, as {@code "command=debian-package"} (or {@code "root=<why>"} for root privileges). Where one is missing, every
 * test of the class is skipped with the package to install, so the skips show in the counts ("Tests
 * run: 7, Skipped: 7") instead of the class vanishing as it does when {@code @BeforeAll} aborts. Under
 * {@code MAILSEAL_REQUIRE_PEERS=1} nothing is skipped: the class's own {@link Peers#require} fails.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(NeedsPeers.Condition.class)
public @interface NeedsPeers {

    String[] value();

    /** Disables each test (not the class, whose skip would not be counted) when a peer is missing. */
    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (context.getTestMethod().isEmpty() || Peers.required()) {
                return ConditionEvaluationResult.enabled("peers checked per test");
            }
            NeedsPeers needs = context.getRequiredTestClass().getAnnotation(NeedsPeers.class);
            for (String spec : needs.value()) {
                if (spec.startsWith("root=")) { // "root=<why>": the class needs root privileges
                    if (!"root".equals(System.getProperty("user.name"))) {
                        return ConditionEvaluationResult.disabled("needs root: " + spec.substring(5));
                    }
                    continue;
                }
                int eq = spec.indexOf('=');
                String missing = Peers.missing(spec.substring(0, eq), spec.substring(eq + 1));
                if (missing != null) {
                    return ConditionEvaluationResult.disabled(missing);
                }
            }
            return ConditionEvaluationResult.enabled("peers present");
        }
    }
}
