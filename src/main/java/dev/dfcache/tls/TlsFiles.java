package dev.dfcache.tls;

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
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A component's TLS identity from a directory laid out like a Kubernetes TLS Secret (and as
 * {@code bin/dfcache-certs} writes it): {@code ca.crt} (the only authority trusted), {@code
 * tls.crt} (this host's certificate, chain allowed) and {@code tls.key} (its PKCS#8 private key,
 * EC or RSA), all PEM. One SSLContext serves both ends of mutual TLS: it presents the host's
 * certificate and accepts only peers whose certificate the CA signed.
 */
public final class TlsFiles {
  public static final String CA = "ca.crt";
  public static final String CERT = "tls.crt";
  public static final String KEY = "tls.key";

  private TlsFiles() {}

  /** What one end of mutual TLS needs: its own key and certificate, and the CA it trusts. */
  public record Identity(KeyManagerFactory keys, TrustManagerFactory trust, Path caFile) {
    /**
     * The CA's trust with words for each refusal ({@link CheckedTrust}).
     *
     * @param checkNames a server must carry the name the client dialled (or was told to expect)
     * @param role the role the other end must carry, or null
     */
    public CheckedTrust checked(boolean checkNames, CertificateRoles.Role role) {
      return new CheckedTrust((javax.net.ssl.X509ExtendedTrustManager) trust.getTrustManagers()[0],
          caFile, checkNames, role);
    }
  }

  public static Identity load(Path dir) throws IOException, GeneralSecurityException {
    List<Certificate> ca = certificates(dir.resolve(CA));
    List<Certificate> chain = certificates(dir.resolve(CERT));
    PrivateKey key = privateKey(dir.resolve(KEY));
    char[] none = new char[0];
    KeyStore identity = KeyStore.getInstance("PKCS12");
    identity.load(null, null);
    identity.setKeyEntry("host", key, none, chain.toArray(Certificate[]::new));
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    for (int i = 0; i < ca.size(); i++) {
      trusted.setCertificateEntry("ca-" + i, ca.get(i));
    }
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(identity, none);
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    return new Identity(keys, trust, dir.resolve(CA).toAbsolutePath());
  }

  /** For servers (pekko-http) and plain JDK clients. */
  public static SSLContext context(Path dir) throws IOException, GeneralSecurityException {
    Identity id = load(dir);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(id.keys().getKeyManagers(),
        new javax.net.ssl.TrustManager[] {id.checked(true, null)}, null);
    return context;
  }

  /**
   * For grpc-java clients: HTTP/2 by ALPN, our certificate on request, and the server's checked
   * against the CA and against the name (or IP) the channel dials, or the name it was told to
   * expect ({@link dev.dfcache.rpc.Channels} with a {@link TlsTarget}).
   */
  public static io.grpc.netty.shaded.io.netty.handler.ssl.SslContext grpcClient(Path dir)
      throws IOException, GeneralSecurityException {
    Identity id = load(dir);
    return grpcClient(id.keys(), id.checked(true, null));
  }

  /** A grpc-java client context with these keys, trusting what {@code trust} trusts. */
  static io.grpc.netty.shaded.io.netty.handler.ssl.SslContext grpcClient(KeyManagerFactory keys,
      javax.net.ssl.TrustManager trust) throws javax.net.ssl.SSLException {
    return io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.configure(
            io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder.forClient(),
            io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider.JDK)
        .keyManager(keys)
        .trustManager(trust)
        .build();
  }

  /** The certificate chain in {@code dir/tls.crt}, the host's own certificate first. */
  public static Certificate[] chain(Path dir) throws IOException, GeneralSecurityException {
    return certificates(dir.resolve(CERT)).toArray(Certificate[]::new);
  }

  static List<Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
    if (!Files.isRegularFile(pem)) {
      throw new IOException("missing " + pem + " (a PEM certificate)");
    }
    List<Certificate> certs = List.copyOf(CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem))));
    if (certs.isEmpty()) {
      throw new IOException("no certificate in " + pem);
    }
    return certs;
  }

  public static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
    if (!Files.isRegularFile(pem)) {
      throw new IOException("missing " + pem + " (a PEM private key)");
    }
    String text = Files.readString(pem, StandardCharsets.US_ASCII);
    int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
    int end = text.indexOf("-----END PRIVATE KEY-----");
    if (begin < 0 || end < begin) {
      throw new IOException(pem + " holds no PKCS#8 key (-----BEGIN PRIVATE KEY-----); convert "
          + "it with: openssl pkcs8 -topk8 -nocrypt -in old.key -out " + pem.getFileName());
    }
    byte[] der = Base64.getMimeDecoder().decode(
        text.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    GeneralSecurityException last = null;
    for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        last = e;
      }
    }
    throw new GeneralSecurityException(pem + ": not an EC, RSA or Ed25519 key", last);
  }

  /** PEM text of a PKCS#8 private key. */
  static String pem(PrivateKey key) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }
}
