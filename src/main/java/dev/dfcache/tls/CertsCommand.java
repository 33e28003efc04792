package dev.dfcache.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dfcache-certs DIR NAME...}: a certificate authority and one certificate per host, with
 * the JDK alone (keytool; no openssl). Each host gets {@code DIR/NAME/{ca.crt,tls.crt,tls.key}},
 * the layout of a Kubernetes TLS Secret and of {@code --tls-dir}. The CA's key stays in {@code
 * DIR/ca.p12} (password in {@code DIR/ca.pass}, both 0600): run the command again with more
 * names to add hosts signed by the same CA.
 *
 * <p>RSA keys: readable by every TLS stack involved, including Pekko's own PEM reader (which
 * loads RSA private keys only; the scheduler cluster now reads its files with TlsFiles, which
 * takes EC keys too).
 */
@Command(name = "dfcache-certs", mixinStandardHelpOptions = true,
    description = {
        "Make a certificate authority (once) and a certificate for each NAME, signed by it, for "
            + "mutual TLS between dfcache components. NAME is a host name or an IP address, or "
            + "several joined by commas (node-1,10.0.0.5): the first is the subject (CN) and the "
            + "directory, all are subject alternative names.",
        "",
        "A daemon's certificate must name the IP address it advertises (its --host, or the "
            + "first non-loopback address): schedulers let a daemon act only for peers at the "
            + "addresses its certificate names (scheduler option --peer-identity).",
        "",
        "--role marks what a certificate may act as (a URI name urn:dfcache:role:ROLE): the "
            + "manager registers a scheduler only with the scheduler role and a daemon only with "
            + "the dfdaemon role; scheduler nodes admit only scheduler certificates into their "
            + "cluster. Without --role a certificate gets every role: fine when one certificate "
            + "serves every component of one host (the quickstart), not for a fleet.",
        "",
        "Writes DIR/ca.crt, DIR/ca.p12 + DIR/ca.pass (the CA's key: keep it safe, or offline), "
            + "and DIR/NAME/ca.crt, DIR/NAME/tls.crt, DIR/NAME/tls.key for each host: hand "
            + "DIR/NAME to that host's component as --tls-dir, or store it as a Kubernetes "
            + "Secret (kubectl create secret generic NAME --from-file=DIR/NAME)."},
    footer = {"", "Example:",
        "  bin/dfcache-certs --role dfdaemon /etc/dfcache/pki 10.0.0.5 node-2,10.0.0.6",
        "  bin/dfcache-certs --role scheduler /etc/dfcache/pki scheduler-0,dfcache-scheduler",
        "  bin/dfcache-certs --role manager /etc/dfcache/pki dfcache-manager"})
public final class CertsCommand implements Callable<Integer> {
  private static final Pattern IP = Pattern.compile("^[0-9.]+$|^[0-9a-fA-F:]+:[0-9a-fA-F:.]*$");
  private static final Pattern SAFE_NAME = Pattern.compile("^[A-Za-z0-9:][A-Za-z0-9.:-]{0,252}$");

  @Parameters(index = "0", paramLabel = "DIR", description = "where the files go")
  Path dir;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "NAME",
      description = "host names or IP addresses (comma-joined for several in one "
          + "certificate), one certificate each")
  List<String> names;

  @Option(names = "--days", defaultValue = "825", paramLabel = "N",
      description = "validity of host certificates in days (default 825; the CA: 10 years)")
  int days;

  @Option(names = "--role", split = ",", paramLabel = "ROLE",
      description = "scheduler, dfdaemon or manager (comma-joined for several); default: all "
          + "three")
  List<String> roles;

  @Override
  public Integer call() throws Exception {
    List<CertificateRoles.Role> marked;
    try {
      marked = roles == null || roles.isEmpty() ? List.of(CertificateRoles.Role.values())
          : roles.stream().map(CertificateRoles.Role::parse).distinct().toList();
    } catch (IllegalArgumentException e) {
      System.err.println("Error: --role: " + e.getMessage());
      return 1;
    }
    for (String name : names) {
      for (String part : name.split(",", -1)) {
        if (!SAFE_NAME.matcher(part).matches()) {
          System.err.println("Error: not a host name or IP address: '" + part + "' in " + name);
          return 1;
        }
      }
    }
    Files.createDirectories(dir);
    Path caStore = dir.resolve("ca.p12");
    Path caPass = dir.resolve("ca.pass");
    if (!Files.exists(caStore)) {
      byte[] secret = new byte[24];
      new SecureRandom().nextBytes(secret);
      writePrivate(caPass, HexFormat.of().formatHex(secret));
      keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048",
          "-dname", "CN=dfcache CA", "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign",
          "-validity", "3650", "-keystore", caStore.toString(), "-storetype", "PKCS12",
          "-storepass:file", caPass.toString());
      Files.setPosixFilePermissions(caStore, PosixFilePermissions.fromString("rw-------"));
      keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(),
          "-storepass:file", caPass.toString(), "-file", dir.resolve("ca.crt").toString());
      System.out.println("made the CA: " + dir.resolve("ca.crt"));
    }
    for (String name : names) {
      host(name, marked, caStore, caPass);
    }
    return 0;
  }

  private void host(String names, List<CertificateRoles.Role> marked, Path caStore, Path caPass)
      throws Exception {
    List<String> all = List.of(names.split(","));
    String name = all.get(0);
    Path out = Files.createDirectories(dir.resolve(name));
    Path store = out.resolve("host.p12");
    Path csr = out.resolve("host.csr");
    String pass = Files.readString(caPass).strip();
    try {
      Files.deleteIfExists(store);
      keytool("-genkeypair", "-alias", "host", "-keyalg", "RSA", "-keysize", "2048",
          "-dname", "CN=" + name, "-validity", Integer.toString(days),
          "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass:file",
          caPass.toString());
      keytool("-certreq", "-alias", "host", "-keystore", store.toString(),
          "-storepass:file", caPass.toString(), "-file", csr.toString());
      List<String> sans = new ArrayList<>(all.stream()
          .map(n -> (IP.matcher(n).matches() ? "ip:" : "dns:") + n).toList());
      marked.forEach(r -> sans.add("uri:" + CertificateRoles.uri(r)));
      String san = String.join(",", sans);
      keytool("-gencert", "-alias", "ca", "-keystore", caStore.toString(),
          "-storepass:file", caPass.toString(), "-infile", csr.toString(),
          "-outfile", out.resolve(TlsFiles.CERT).toString(), "-rfc",
          "-validity", Integer.toString(days), "-ext", "san=" + san,
          "-ext", "eku=serverAuth,clientAuth", "-ext", "ku=digitalSignature,keyEncipherment");
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (var in = Files.newInputStream(store)) {
        ks.load(in, pass.toCharArray());
      }
      PrivateKey key = (PrivateKey) ks.getKey("host", pass.toCharArray());
      writePrivate(out.resolve(TlsFiles.KEY), TlsFiles.pem(key));
      Files.copy(dir.resolve("ca.crt"), out.resolve(TlsFiles.CA),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      System.out.println("made " + out + "/{ca.crt,tls.crt,tls.key} for " + names + " (role: "
          + String.join(", ", marked.stream().map(CertificateRoles.Role::label).toList()) + ")");
    } finally {
      Files.deleteIfExists(store);
      Files.deleteIfExists(csr);
    }
  }

  /** A secret: created 0600 before anything is written into it. */
  private static void writePrivate(Path file, String text) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, text);
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    cmd.add("-noprompt");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException("keytool " + args[0] + " failed: " + output.strip());
    }
  }

  public static int run(String... args) {
    return new CommandLine(new CertsCommand()).execute(args);
  }
}
