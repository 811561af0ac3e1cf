package io.caiman.core.config;

/**
 * How a crawl's HTTPS client checks the server and shows itself, as Prometheus' {@code tls_config}.
 *
 * @param caFile PEM certificates to trust instead of the JDK's, or {@code null}
 * @param certFile a PEM client certificate (chain) to present, with {@code keyFile}, or {@code null}
 * @param keyFile its unencrypted PKCS#8 PEM key, or {@code null}
 * @param insecureSkipVerify trust any server certificate for any name (tests and labs only)
 */
public record ClientTls(String caFile, String certFile, String keyFile, boolean insecureSkipVerify) {

    /** The JDK's trust store, no client certificate. */
    public static final ClientTls DEFAULT = new ClientTls(null, null, null, false);

    public boolean isDefault() {
        return equals(DEFAULT);
    }
}
