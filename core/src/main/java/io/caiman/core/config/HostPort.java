package io.caiman.core.config;

/**
 * A {@code host:port} address as written in configuration. A bare port, or {@code :port}, means every
 * interface ({@code 0.0.0.0}); IPv6 hosts are written in brackets ({@code [::1]:9091}).
 */
public record HostPort(String host, int port) {

    /**
     * @throws IllegalArgumentException with the rule, if {@code text} is not an address
     */
    public static HostPort parse(String text) {
        String host;
        String port;
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            host = "0.0.0.0";
            port = text;
        } else {
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.isEmpty()) {
                host = "0.0.0.0";
            } else if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.contains(":")) {
                throw new IllegalArgumentException("must be host:port (write IPv6 hosts in brackets: [::1]:9091)");
            }
        }
        try {
            int p = Integer.parseInt(port);
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException("must be host:port with a port from 0 to 65535");
            }
            return new HostPort(host, p);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be host:port with a numeric port");
        }
    }

    /**
     * The address others reach a server bound here at, once it listens on {@code boundPort}: this host and that
     * port, with the machine's host name for a wildcard host (every interface).
     */
    public String advertised(int boundPort) {
        String h = host;
        if (h == null || h.isEmpty() || h.equals("0.0.0.0") || h.equals("::")) {
            try {
                h = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                h = "localhost";
            }
        }
        return h + ":" + boundPort;
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
