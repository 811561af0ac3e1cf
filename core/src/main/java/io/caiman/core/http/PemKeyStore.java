package io.caiman.core.http;

import io.caiman.error.CaimanException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A key store made from the PEM files people have (a certificate chain and a PKCS#8 private key, as Prometheus'
 * {@code cert_file}/{@code key_file} take them). Written here because the JDK reads PEM certificates but not PEM
 * keys before Java 25, and a crypto library for one base64 block would be a heavy dependency.
 */
public final class PemKeyStore {

    /** The in-memory store's password: it never leaves the process. */
    public static final String PASSWORD = "caiman";

    private static final Pattern KEY = Pattern.compile(
            "-----BEGIN ([A-Z ]*)PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END \\1PRIVATE KEY-----");

    private PemKeyStore() {}

    /**
     * @throws CaimanException naming the file and what is wrong with it
     */
    public static KeyStore load(Path certFile, Path keyFile) {
        List<Certificate> chain;
        try {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(certFile)));
            chain = List.copyOf(certs);
        } catch (IOException | GeneralSecurityException e) {
            throw new CaimanException("cannot read the TLS certificate " + certFile + ": " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new CaimanException("the TLS certificate file " + certFile + " holds no PEM certificate");
        }
        PrivateKey key = key(keyFile);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("caiman", key, PASSWORD.toCharArray(), chain.toArray(new Certificate[0]));
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new CaimanException("the TLS key " + keyFile + " does not go with the certificate " + certFile + ": "
                    + e.getMessage(), e);
        }
    }

    private static PrivateKey key(Path keyFile) {
        String pem;
        try {
            pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new CaimanException("cannot read the TLS key " + keyFile + ": " + e.getMessage(), e);
        }
        Matcher m = KEY.matcher(pem);
        if (!m.find()) {
            throw new CaimanException("the TLS key file " + keyFile + " holds no PEM private key");
        }
        if (!m.group(1).isEmpty()) {
            throw new CaimanException("the TLS key " + keyFile + " is a '" + m.group(1) + "PRIVATE KEY'; Caiman reads "
                    + "unencrypted PKCS#8 ('PRIVATE KEY'): convert it with "
                    + "openssl pkcs8 -topk8 -nocrypt -in " + keyFile + " -out key.pk8.pem");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(2));
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not this algorithm; try the next
            }
        }
        throw new CaimanException("the TLS key " + keyFile + " is not an RSA, EC or Ed25519 PKCS#8 key");
    }
}
