package io.caiman.core.http;

import io.caiman.core.config.ClientTls;
import io.caiman.error.CaimanException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/** The {@link SSLContext} of a {@link ClientTls}: the JDK's own machinery, fed from the PEM files people have. */
public final class ClientSsl {

    private ClientSsl() {}

    /**
     * @throws CaimanException naming the file and what is wrong with it
     */
    public static SSLContext context(ClientTls tls) {
        try {
            KeyManager[] keys = null;
            if (tls.certFile() != null) {
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(PemKeyStore.load(Path.of(tls.certFile()), Path.of(tls.keyFile())), PemKeyStore.PASSWORD.toCharArray());
                keys = kmf.getKeyManagers();
            }
            TrustManager[] trust = null;
            if (tls.insecureSkipVerify()) {
                trust = new TrustManager[] {new TrustingAnyone()};
            } else if (tls.caFile() != null) {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trustStore(Path.of(tls.caFile())));
                trust = tmf.getTrustManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, trust, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new CaimanException("cannot set up TLS " + tls + ": " + e.getMessage(), e);
        }
    }

    private static KeyStore trustStore(Path caFile) throws GeneralSecurityException {
        Collection<? extends Certificate> certs;
        try {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(Files.readAllBytes(caFile)));
        } catch (IOException | GeneralSecurityException e) {
            throw new CaimanException("cannot read the CA file " + caFile + ": " + e.getMessage(), e);
        }
        if (certs.isEmpty()) {
            throw new CaimanException("the CA file " + caFile + " holds no PEM certificate");
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        int i = 0;
        for (Certificate c : certs) {
            store.setCertificateEntry("ca-" + i++, c);
        }
        return store;
    }

    /**
     * {@code insecure_skip_verify}: accepts any server certificate. An extended trust manager, so that the JDK's
     * host name check (part of the trust manager's job) is skipped as well.
     */
    private static final class TrustingAnyone extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
