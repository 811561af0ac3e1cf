package io.caiman.gateway.http;

import io.caiman.core.config.SideFiles;
import io.caiman.core.http.HttpExchange;
import io.caiman.core.model.Naming;
import io.caiman.error.CaimanException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Who may write, and as which tenant: the gateway's {@code auth_file}, a list of credentials each bound to one
 * tenant, in the shape of VictoriaMetrics' vmauth users:
 *
 * <pre>{@code
 * users:
 *   - tenant: team-a
 *     bearer_token: "long-random-token"     # Authorization: Bearer …, or Token … (InfluxDB 2.x clients)
 *   - tenant: team-b
 *     username: telegraf                    # Authorization: Basic …, or u= and p= (InfluxDB 1.x clients)
 *     password: "long-random-password"
 * }</pre>
 *
 * With a file, every ingest request must carry one of its credentials; the request's tenant is the
 * credential's, and a tenant header naming another tenant is refused (403). Secrets are kept only as SHA-256
 * digests and compared in constant time.
 */
public final class Credentials {

    /** The challenge sent with a 401. */
    public static final String CHALLENGE = "Basic realm=\"caiman\", Bearer realm=\"caiman\"";

    /** The outcome of checking one request: the tenant, or the status and reason of a refusal. */
    public record Outcome(String tenant, int status, String reason) {
        public boolean ok() {
            return tenant != null;
        }

        static Outcome refuse(int status, String reason) {
            return new Outcome(null, status, reason);
        }
    }

    private record User(byte[] passwordDigest, String tenant) {}

    private final Map<String, String> tenantByTokenDigest;
    private final Map<String, User> users;

    private Credentials(Map<String, String> tenantByTokenDigest, Map<String, User> users) {
        this.tenantByTokenDigest = tenantByTokenDigest;
        this.users = users;
    }

    /** Reads an auth file; {@code null} (no authentication) when {@code file} is null. */
    public static Credentials load(Path file) {
        if (file == null) {
            return null;
        }
        return parse(SideFiles.read(file, "the gateway's auth file"), file.toString());
    }

    /**
     * @param source how errors name the file
     * @throws CaimanException listing every problem of the file (never a secret)
     */
    public static Credentials parse(String yaml, String source) {
        Object root = SideFiles.parseYaml(yaml, source);
        if (!(root instanceof Map<?, ?> m) || !(m.get("users") instanceof List<?> items)) {
            throw new CaimanException(source + ": must be a mapping with a list under 'users'");
        }
        List<String> problems = new ArrayList<>();
        Map<String, String> tokens = new HashMap<>();
        Map<String, User> users = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            String at = source + ": users[" + i + "]";
            if (!(items.get(i) instanceof Map<?, ?> item)) {
                problems.add(at + " must be a mapping with tenant and bearer_token, or tenant, username and password");
                continue;
            }
            for (Object key : item.keySet()) {
                if (!List.of("tenant", "bearer_token", "username", "password").contains(key)) {
                    problems.add(at + "." + key + " is not a known setting (tenant, bearer_token, username, password)");
                }
            }
            String tenant = string(item.get("tenant"));
            String token = string(item.get("bearer_token"));
            String username = string(item.get("username"));
            String password = string(item.get("password"));
            String tenantProblem = tenant == null ? "is missing" : Naming.validateTenant(tenant);
            if (tenantProblem != null) {
                problems.add(at + ".tenant " + tenantProblem);
            }
            if ((token == null) == (username == null)) {
                problems.add(at + " must have either bearer_token, or username and password");
                continue;
            }
            if (token != null) {
                if (token.length() < 16) {
                    problems.add(at + ".bearer_token is shorter than 16 characters; use a long random token");
                } else if (tokens.putIfAbsent(digestHex(token), tenant) != null) {
                    problems.add(at + ".bearer_token is the same as an earlier entry's");
                }
                if (password != null) {
                    problems.add(at + ".password goes with username, not with bearer_token");
                }
            } else if (password == null || password.isEmpty()) {
                problems.add(at + ".password is missing");
            } else if (users.putIfAbsent(username, new User(digest(password), tenant)) != null) {
                problems.add(at + ".username " + username + " is already used by an earlier entry");
            }
        }
        if (!problems.isEmpty()) {
            throw new CaimanException(problems.size() + (problems.size() == 1 ? " problem" : " problems")
                    + " in the gateway's auth file:\n  " + String.join("\n  ", problems));
        }
        return new Credentials(Map.copyOf(tokens), Map.copyOf(users));
    }

    public int size() {
        return tenantByTokenDigest.size() + users.size();
    }

    /**
     * Checks a request's credentials: {@code Authorization: Bearer|Token|Basic …}, or the {@code u} and
     * {@code p} query parameters InfluxDB 1.x clients send.
     *
     * @param asked the tenant the request names in its tenant header, or {@code null}
     */
    public Outcome authenticate(HttpExchange exchange, String asked) {
        String tenant = tenantOf(exchange);
        if (tenant == null) {
            return Outcome.refuse(401, exchange.header("Authorization") == null && exchange.queryValues("u").isEmpty()
                    ? "this gateway requires credentials: send Authorization: Bearer <token> or Basic (gateway.auth_file)"
                    : "the credentials are not valid");
        }
        if (asked != null && !asked.isEmpty() && !asked.equals(tenant)) {
            return Outcome.refuse(403, "these credentials write to tenant " + tenant + ", not to " + asked
                    + " (the tenant header)");
        }
        return new Outcome(tenant, 200, null);
    }

    private String tenantOf(HttpExchange exchange) {
        String header = exchange.header("Authorization");
        if (header != null) {
            String[] parts = header.trim().split("\\s+", 2);
            if (parts.length != 2) {
                return null;
            }
            String scheme = parts[0].toLowerCase(Locale.ROOT);
            if (scheme.equals("bearer") || scheme.equals("token")) {
                return tenantByTokenDigest.get(digestHex(parts[1].trim()));
            }
            if (scheme.equals("basic")) {
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(parts[1].trim()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return null;
                }
                int colon = decoded.indexOf(':');
                return colon < 0 ? null : user(decoded.substring(0, colon), decoded.substring(colon + 1));
            }
            return null;
        }
        List<String> u = exchange.queryValues("u");
        List<String> p = exchange.queryValues("p");
        return u.isEmpty() || p.isEmpty() ? null : user(u.get(0), p.get(0));
    }

    private String user(String username, String password) {
        User user = users.get(username);
        byte[] presented = digest(password);
        // compare even for an unknown user, so the time taken does not tell which usernames exist
        boolean same = MessageDigest.isEqual(presented, user != null ? user.passwordDigest() : new byte[presented.length]);
        return user != null && same ? user.tenant() : null;
    }

    private static String string(Object value) {
        return value == null ? null : String.valueOf(value);
    }

    private static byte[] digest(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String digestHex(String secret) {
        return HexFormat.of().formatHex(digest(secret));
    }
}
