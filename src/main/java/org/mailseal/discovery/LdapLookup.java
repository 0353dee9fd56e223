package org.mailseal.discovery;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import javax.naming.CommunicationException;
import javax.naming.Context;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;
import javax.naming.directory.SearchControls;
import javax.naming.directory.SearchResult;
import org.mailseal.config.LdapDiscovery;
import org.mailseal.policy.KeyDiscovery;

/**
 * S/MIME certificates from an LDAP directory (JNDI): the entries that match {@code filter} for the address,
 * their {@code userSMIMECertificate} (PKCS#7, RFC 2798 §2.6) and {@code userCertificate;binary} values. A
 * certificate counts only when {@code validator} accepts it for the address (the S/MIME trust anchors,
 * revocation, key usage): a directory is a source of certificates, not of trust. A directory that cannot
 * be reached is a temporary failure.
 */
public final class LdapLookup implements KeyDiscovery {

    /** Validates a certificate for an address (throws with the reason). */
    public interface Validator {
        void validate(X509Certificate c, String email, List<X509Certificate> chain) throws Exception;
    }

    private static final String[] ATTRIBUTES = {"userSMIMECertificate", "userSMIMECertificate;binary", "userCertificate;binary"};

    private final LdapDiscovery config;
    private final Duration timeout;
    private final Validator validator;

    public LdapLookup(LdapDiscovery config, Duration timeout, Validator validator) {
        this.config = config;
        this.timeout = timeout;
        this.validator = validator;
    }

    @Override
    public Result lookup(String email) {
        String e = email.toLowerCase(Locale.ROOT);
        String source = "LDAP " + config.url() + " " + config.base();
        Hashtable<String, Object> env = new Hashtable<>();
        env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.ldap.LdapCtxFactory");
        env.put(Context.PROVIDER_URL, config.url());
        env.put("com.sun.jndi.ldap.connect.timeout", String.valueOf(timeout.toMillis()));
        env.put("com.sun.jndi.ldap.read.timeout", String.valueOf(timeout.toMillis()));
        env.put("java.naming.ldap.attributes.binary", "userSMIMECertificate userCertificate");
        env.put(Context.REFERRAL, "ignore");
        try {
            if (config.bindDn() != null) {
                env.put(Context.SECURITY_AUTHENTICATION, "simple");
                env.put(Context.SECURITY_PRINCIPAL, config.bindDn());
                env.put(Context.SECURITY_CREDENTIALS, Files.readString(config.passwordFile()).strip());
            } else {
                env.put(Context.SECURITY_AUTHENTICATION, "none");
            }
        } catch (IOException x) {
            return new Result(Status.TEMPFAIL, null, source, "password file: " + x.getMessage());
        }
        List<X509Certificate> found = new ArrayList<>();
        DirContext ctx = null;
        try {
            ctx = new InitialDirContext(env);
            SearchControls sc = new SearchControls();
            sc.setSearchScope(SearchControls.SUBTREE_SCOPE);
            sc.setReturningAttributes(ATTRIBUTES);
            sc.setCountLimit(10);
            sc.setTimeLimit((int) timeout.toMillis());
            NamingEnumeration<SearchResult> rs = ctx.search(config.base(), config.filter(), new Object[] {e}, sc); // JNDI escapes {0} (RFC 4515)
            try {
                while (rs.hasMore()) {
                    SearchResult r = rs.next();
                    for (String a : ATTRIBUTES) {
                        Attribute at = r.getAttributes().get(a);
                        if (at == null) {
                            continue;
                        }
                        for (NamingEnumeration<?> v = at.getAll(); v.hasMore(); ) {
                            Object value = v.next();
                            if (value instanceof byte[] der) {
                                try {
                                    for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(der))) {
                                        found.add((X509Certificate) c);
                                    }
                                } catch (java.security.cert.CertificateException bad) {
                                    // not a certificate: skipped
                                }
                            }
                        }
                    }
                }
            } catch (javax.naming.SizeLimitExceededException enough) {
                // the first entries are enough
            }
        } catch (CommunicationException | javax.naming.ServiceUnavailableException down) {
            return new Result(Status.TEMPFAIL, null, source, "directory unreachable: " + down.getMessage());
        } catch (javax.naming.NameNotFoundException none) {
            return new Result(Status.NONE, null, source, "search base not found");
        } catch (NamingException other) {
            return new Result(Status.TEMPFAIL, null, source, other.getMessage());
        } finally {
            if (ctx != null) {
                try {
                    ctx.close();
                } catch (NamingException ignored) {
                    // closing
                }
            }
        }
        String why = "no certificate for " + e;
        for (X509Certificate c : found) {
            try {
                validator.validate(c, e, found);
                return new Result(Status.FOUND, null, c, source, null);
            } catch (Exception refused) {
                why = refused.getMessage();
            }
        }
        return new Result(Status.NONE, null, source, why);
    }
}
