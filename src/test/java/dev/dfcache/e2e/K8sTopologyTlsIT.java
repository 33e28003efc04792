package dev.dfcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.e2e.LocalCluster.CliResult;
import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.tls.CertsCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Kubernetes topology of k8s/ on 127.0.0.1: certificates that name Services
 * ({@code --role scheduler dfcache-scheduler}, {@code --role manager dfcache-manager}, one
 * {@code --role dfdaemon} certificate shared by the daemons), names that resolve to 127.0.0.1
 * (a hosts file of the test's own, {@code -Djdk.net.hosts.file}, as cluster DNS would), the
 * scheduler with {@code --peer-identity source} registered with the manager at its address, the
 * daemons given {@code --schedulers dfcache-scheduler:PORT --manager dfcache-manager:PORT}. The
 * manager hands out 127.0.0.1 (the pod IP), which no certificate names: the daemons still trust
 * the scheduler by the Service's name, and import, stat and export work.
 *
 * <p>And what a misconfiguration says: a wrong {@code --scheduler-tls-name}, and a daemon whose
 * certificate another CA signed, each fail with words in the CLI's error and in the logs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one manager and scheduler for all cases
class K8sTopologyTlsIT {
  static final String PASSWORD = "correct-horse-battery";
  LocalCluster cluster;
  Path pki;
  Proc manager;
  Proc scheduler;
  String managerName;
  String schedulerName;

  @BeforeAll
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-k8s-tls");
    pki = cluster.work().resolve("pki");
    assertEquals(0, CertsCommand.run("--role", "scheduler", pki.toString(), "dfcache-scheduler"));
    assertEquals(0, CertsCommand.run("--role", "manager", pki.toString(), "dfcache-manager"));
    assertEquals(0, CertsCommand.run("--role", "dfdaemon", pki.toString(), "dfdaemon"));
    // cluster DNS: the Services' names resolve to the "pods" (every other name as usual)
    Path hosts = Files.writeString(cluster.work().resolve("hosts"),
        "127.0.0.1 localhost dfcache-scheduler dfcache-manager "
            + java.net.InetAddress.getLocalHost().getHostName() + "\n");
    cluster.setJvmOptions("-Djdk.net.hosts.file=" + hosts);

    manager = cluster.manager("manager", List.of("--tls-dir",
        pki.resolve("dfcache-manager").toString()),
        Map.of("DFCACHE_MANAGER_ADMIN_PASSWORD", PASSWORD));
    managerName = "dfcache-manager:" + manager.grpcPort;
    int[] ports = LocalCluster.reservePorts(2);
    scheduler = cluster.process("scheduler", List.of(), List.of("scheduler",
            "--host", "127.0.0.1", "--grpc-port", "" + ports[0], "--cluster-port", "" + ports[1],
            "--seed-nodes", "127.0.0.1:" + ports[1],
            "--tls-dir", pki.resolve("dfcache-scheduler").toString(),
            "--peer-identity", "source", "--manager", managerName,
            "--data-dir", cluster.work().resolve("scheduler").toString()),
        Map.of(), "scheduler up", ports[0], ports[1]);
    schedulerName = "dfcache-scheduler:" + scheduler.grpcPort;
    // "registered with manager ...", or "... registered" once a slow first try timed out
    ManagerIT.awaitLog(scheduler, "registered", 90);
  }

  @AfterAll
  void tearDown() {
    cluster.close();
  }

  Proc daemon(String name, Path tls, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("--manager", managerName,
        "--tls-dir", tls.toString()));
    args.addAll(List.of(extra));
    return cluster.daemon(name, schedulerName, args);
  }

  @Test
  void daemonsTrustTheSchedulerServiceByNameWhateverAddressTheManagerHandsOut()
      throws Exception {
    Proc a = daemon("k8s-a", pki.resolve("dfdaemon"));
    Proc b = daemon("k8s-b", pki.resolve("dfdaemon"));
    for (Proc d : List.of(a, b)) {
      // at start, or at the next registration when the first one timed out (a busy machine)
      awaitAnyLog(d, 60, "schedulers [127.0.0.1:" + scheduler.grpcPort + "]",
          "schedulers from the manager: [127.0.0.1:" + scheduler.grpcPort + "]");
    }
    byte[] data = new byte[6 * 1024 * 1024 + 11];
    new Random(22).nextBytes(data);
    Path in = Files.write(cluster.work().resolve("in.bin"), data);
    Path out = cluster.work().resolve("out.bin");
    CliResult imported = LocalCluster.cli(a, "import", "-i", "k8s-topology", in.toString());
    assertEquals(0, imported.exit(), imported.toString());
    CliResult stat = LocalCluster.cli(b, "stat", "-i", "k8s-topology");
    assertEquals(0, stat.exit(), stat.toString());
    CliResult exported = LocalCluster.cli(b, "export", "-i", "k8s-topology", "-O",
        out.toString());
    assertEquals(0, exported.exit(), exported.toString());
    assertEquals(sha256(data), sha256(Files.readAllBytes(out)));
  }

  /** Waits until the process logged one of the texts. */
  static void awaitAnyLog(Proc p, int seconds, String... texts) throws Exception {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (true) {
      String log = Files.readString(p.log);
      for (String t : texts) {
        if (log.contains(t)) {
          return;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(p.name + " logged none of " + List.of(texts) + ": " + log);
      }
      Thread.sleep(200);
    }
  }

  @Test
  void aWrongSchedulerTlsNameSaysWhatWasPresentedAndWhatWasExpected() throws Exception {
    Proc wrong = daemon("k8s-wrong", pki.resolve("dfdaemon"),
        "--scheduler-tls-name", "scheduler.example");
    awaitAnyLog(wrong, 60, "schedulers [127.0.0.1:" + scheduler.grpcPort + "]",
        "schedulers from the manager: [127.0.0.1:" + scheduler.grpcPort + "]");
    CliResult stat = LocalCluster.cli(wrong, "stat", "-i", "anything");
    assertNotEquals(0, stat.exit());
    String words = "TLS: scheduler 127.0.0.1:" + scheduler.grpcPort
        + " presented a certificate for [dfcache-scheduler] (role scheduler), expected the name "
        + "'scheduler.example' (set --scheduler-tls-name)";
    assertTrue(stat.err().contains(words), stat.toString());
    assertTrue(!stat.err().contains("Channel Pipeline"), stat.toString());
    ManagerIT.awaitLog(wrong, words, 10);
  }

  @Test
  void aCertificateOfAnotherCaIsRefusedWithWordsOnBothSides() throws Exception {
    Path foreign = cluster.work().resolve("foreign");
    assertEquals(0, CertsCommand.run("--role", "dfdaemon", foreign.toString(), "dfdaemon"));
    // this daemon trusts our CA, but its own certificate is another CA's
    Path mixed = Files.createDirectories(cluster.work().resolve("mixed"));
    Files.copy(pki.resolve("ca.crt"), mixed.resolve("ca.crt"));
    for (String f : List.of("tls.crt", "tls.key")) {
      Files.copy(foreign.resolve("dfdaemon").resolve(f), mixed.resolve(f),
          StandardCopyOption.COPY_ATTRIBUTES);
    }
    Proc stranger = daemon("k8s-stranger", mixed);
    CliResult stat = LocalCluster.cli(stranger, "stat", "-i", "anything");
    assertNotEquals(0, stat.exit());
    assertTrue(stat.err().contains("TLS: scheduler " + schedulerName
        + " refused this component's certificate"), stat.toString());
    ManagerIT.awaitLog(scheduler, "TLS: refused a caller that presented a certificate for "
        + "[dfdaemon] (role dfdaemon): its certificate is not signed by the CA in "
        + pki.resolve("dfcache-scheduler").resolve("ca.crt").toAbsolutePath(), 10);

    // and a daemon that trusts another CA says so about the scheduler
    Proc distrustful = daemon("k8s-distrustful", foreign.resolve("dfdaemon"));
    CliResult refused = LocalCluster.cli(distrustful, "stat", "-i", "anything");
    assertNotEquals(0, refused.exit());
    assertTrue(refused.err().contains("TLS: scheduler " + schedulerName
        + " presented a certificate for [dfcache-scheduler] (role scheduler), its certificate is "
        + "not signed by the CA in " + foreign.resolve("dfdaemon").resolve("ca.crt")
            .toAbsolutePath()), refused.toString());
  }

  static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }
}
