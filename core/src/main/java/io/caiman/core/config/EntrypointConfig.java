package io.caiman.core.config;

/**
 * One gateway listener as configured.
 *
 * @param protocol {@code http}, {@code tcp} or {@code udp}
 * @param format for line listeners: {@code auto}, {@code graphite}, {@code influx} or {@code prometheus}
 * @param instance the advertised address ({@code listen} when not configured)
 * @param tls for an {@code http} listener serving HTTPS, its certificate and key; {@code null} for plain HTTP
 */
public record EntrypointConfig(String protocol, String format, HostPort listen, String cluster, HostPort instance,
        Tls tls) {

    /** A listener without TLS. */
    public EntrypointConfig(String protocol, String format, HostPort listen, String cluster, HostPort instance) {
        this(protocol, format, listen, cluster, instance, null);
    }

    /** PEM files: a certificate (chain first the listener's own) and its PKCS#8 private key. */
    public record Tls(String certFile, String keyFile) {}
}
