package dev.dfcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.common.Code;
import dev.dfcache.api.manager.KeepAliveRequest;
import dev.dfcache.api.manager.ListSchedulersRequest;
import dev.dfcache.api.manager.SourceType;
import dev.dfcache.api.manager.UpdateSchedulerRequest;
import dev.dfcache.common.DfException;
import dev.dfcache.common.GrpcErrors;
import dev.dfcache.common.HostPort;
import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.ManagerRpc;
import dev.dfcache.tls.CertsCommand;
import dev.dfcache.tls.PeerTls;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A manager with a certificate, as it would face a network: its REST API answers HTTPS only
 * (plain HTTP gets no API), a flood of wrong sign-ins is answered 429 with Retry-After while a
 * component's keep-alive still goes through, and a component registers only as itself (its
 * certificate's role, at an address it names or connects from); --http-plaintext serves the
 * REST API in clear and keeps the gRPC rules.
 */
class ManagerExposedIT {
  static final String PASSWORD = "correct-horse-battery";
  LocalCluster cluster;
  Path pki;
  Proc manager;

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-manager-exposed");
    pki = cluster.enableTls().getParent(); // 127.0.0.1: every role, the manager's own
    manager = cluster.manager("manager", List.of(),
        Map.of("DFCACHE_MANAGER_ADMIN_PASSWORD", PASSWORD));
  }

  @AfterEach
  void tearDown() throws Exception {
    cluster.close();
  }

  /**
   * Certificates of the cluster's CA with these roles, one per entry of {@code names} (each
   * comma-joined names, the first its directory), in one run of bin/dfcache-certs.
   */
  List<Path> certificates(String roles, String... names) {
    List<String> args = new ArrayList<>(List.of("--role", roles, pki.toString()));
    args.addAll(List.of(names));
    assertEquals(0, CertsCommand.run(args.toArray(String[]::new)));
    return java.util.Arrays.stream(names).map(n -> pki.resolve(n.split(",")[0])).toList();
  }

  Path certificate(String roles, String names) {
    return certificates(roles, names).get(0);
  }

  static DfException refusal(Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    DfException df = GrpcErrors.fromStatusException(e);
    assertEquals(Code.PermissionDenied, df.code(), df.getMessage());
    return df;
  }

  interface Executable {
    void run() throws Exception;
  }

  UpdateSchedulerRequest scheduler(String ip) {
    return UpdateSchedulerRequest.newBuilder().setSourceType(SourceType.SCHEDULER_SOURCE)
        .setHostName("s").setIp(ip).setPort(8002).build();
  }

  void register(Path cert, String ip) throws Exception {
    try (Channels channels = new Channels(PeerTls.load(cert).grpcClient())) {
      ManagerRpc.UPDATE_SCHEDULER.call(channels.get(HostPort.parse(manager.grpc())),
          scheduler(ip), Duration.ofSeconds(10));
    }
  }

  @Test
  void aComponentRegistersOnlyAsItself() throws Exception {
    Path daemonCert = certificate("dfdaemon", "d1,127.0.0.1");
    List<Path> schedulers = certificates("scheduler", "s-other,10.9.8.7", "s-named,10.1.2.3",
        "dfcache-scheduler");
    Path otherScheduler = schedulers.get(0);
    Path namedScheduler = schedulers.get(1);
    Path serviceScheduler = schedulers.get(2);

    // a daemon's certificate does not make a scheduler, even at its own address
    DfException wrongRole = refusal(() -> register(daemonCert, "127.0.0.1"));
    assertTrue(wrongRole.getMessage().contains("has dfdaemon, not the scheduler role"),
        wrongRole.getMessage());
    assertTrue(wrongRole.getMessage().contains("bin/dfcache-certs --role scheduler"),
        wrongRole.getMessage());
    // a scheduler's certificate for 10.9.8.7 does not register 10.1.2.3
    DfException wrongAddress = refusal(() -> register(otherScheduler, "10.1.2.3"));
    assertTrue(wrongAddress.getMessage().contains("scheduler at 10.1.2.3:8002"),
        wrongAddress.getMessage());
    assertTrue(wrongAddress.getMessage().contains("names s-other, 10.9.8.7"),
        wrongAddress.getMessage());
    assertTrue(wrongAddress.getMessage().contains("comes from 127.0.0.1"),
        wrongAddress.getMessage());
    // nor may it keep another scheduler's lease alive
    refusal(() -> {
      try (Channels channels = new Channels(PeerTls.load(otherScheduler).grpcClient())) {
        ManagerRpc.KEEP_ALIVE.call(channels.get(HostPort.parse(manager.grpc())),
            KeepAliveRequest.newBuilder().setSourceType(SourceType.SCHEDULER_SOURCE)
                .setIp("10.1.2.3").setPort(8002).build(), Duration.ofSeconds(10));
      }
    });
    // the address the certificate names, or the one it connects from (a Service-named
    // certificate on Kubernetes): registered
    register(namedScheduler, "10.1.2.3");
    register(serviceScheduler, "127.0.0.1");
    // a scheduler's certificate does not make a daemon; a daemon's does, at its address
    ListSchedulersRequest peer = ListSchedulersRequest.newBuilder().setHostId("h1")
        .setHostName("d1").setIp("127.0.0.1").setRpcPort(1).setUploadPort(2).build();
    DfException notADaemon = refusal(() -> {
      try (Channels channels = new Channels(PeerTls.load(serviceScheduler).grpcClient())) {
        ManagerRpc.LIST_SCHEDULERS.call(channels.get(HostPort.parse(manager.grpc())), peer,
            Duration.ofSeconds(10));
      }
    });
    assertTrue(notADaemon.getMessage().contains("--role dfdaemon"), notADaemon.getMessage());
    refusal(() -> {
      try (Channels channels = new Channels(PeerTls.load(daemonCert).grpcClient())) {
        ManagerRpc.LIST_SCHEDULERS.call(channels.get(HostPort.parse(manager.grpc())),
            peer.toBuilder().setIp("10.9.9.9").build(), Duration.ofSeconds(10));
      }
    });
    try (Channels channels = new Channels(PeerTls.load(daemonCert).grpcClient())) {
      var listed = ManagerRpc.LIST_SCHEDULERS.call(
          channels.get(HostPort.parse(manager.grpc())), peer, Duration.ofSeconds(10));
      List<String> addresses = listed.getSchedulersList().stream()
          .map(s -> s.getIp() + ":" + s.getPort()).sorted().toList();
      // the daemons are handed only what registered as itself
      assertEquals(List.of("10.1.2.3:8002", "127.0.0.1:8002"), addresses);
    }
  }

  @Test
  void theRestApiIsHttpsAndAFloodOfSignInsIsThrottledWhileComponentsKeepAlive()
      throws Exception {
    // HTTPS, with the manager's certificate; plain HTTP on that port gets no API
    ManagerApi api = ManagerApi.of(manager);
    assertTrue(api.base().startsWith("https://"), api.base());
    assertThrows(java.io.IOException.class, () -> HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + manager.otherPort
            + "/api/v1/users/signin")).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString()));
    assertEquals(200, ManagerApi.of(manager).signIn("root", PASSWORD).get("/api/v1/schedulers")
        .status());

    Path schedulerCert = certificate("scheduler", "s1,127.0.0.1");
    register(schedulerCert, "127.0.0.1");
    ExecutorService flood = Executors.newFixedThreadPool(8);
    ConcurrentLinkedQueue<ManagerApi.Reply> replies = new ConcurrentLinkedQueue<>();
    List<Future<?>> running = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int thread = t;
      running.add(flood.submit(() -> {
        ManagerApi guesser = ManagerApi.of(manager);
        for (int i = 0; i < 15; i++) {
          String user = i % 2 == 0 ? "root" : "guess-" + thread + "-" + i;
          replies.add(guesser.call("POST", "/api/v1/users/signin", ManagerApi.JSON
              .createObjectNode().put("name", user).put("password", "wrong-" + i).toString()));
        }
        return null;
      }));
    }
    // keep-alives during the flood: they run on the database threads, which hash no password
    int keptAlive = 0;
    try (Channels channels = new Channels(PeerTls.load(schedulerCert).grpcClient())) {
      Supplier<Boolean> floodRunning = () -> running.stream().anyMatch(f -> !f.isDone());
      do {
        var answer = ManagerRpc.KEEP_ALIVE.call(channels.get(HostPort.parse(manager.grpc())),
            KeepAliveRequest.newBuilder().setSourceType(SourceType.SCHEDULER_SOURCE)
                .setIp("127.0.0.1").setPort(8002).build(), Duration.ofSeconds(10));
        assertTrue(answer.getKnown(), answer.toString());
        keptAlive++;
      } while (floodRunning.get() || keptAlive < 3);
    }
    for (Future<?> f : running) {
      f.get();
    }
    flood.shutdown();
    List<ManagerApi.Reply> throttled = replies.stream().filter(r -> r.status() == 429).toList();
    assertEquals(120, replies.size());
    assertFalse(throttled.isEmpty(), "no 429 among " + replies.stream()
        .map(ManagerApi.Reply::status).toList());
    assertTrue(replies.stream().allMatch(r -> r.status() == 401 || r.status() == 429
        || r.status() == 503), replies.stream().map(ManagerApi.Reply::status).toList()
        .toString());
    for (ManagerApi.Reply r : throttled) {
      long retryAfter = Long.parseLong(r.raw().headers().firstValue("Retry-After")
          .orElseThrow(() -> new AssertionError("429 without Retry-After: " + r)));
      assertTrue(retryAfter >= 1 && retryAfter <= 300, r.toString());
      assertTrue(r.body().path("message").asText().startsWith("too many failed sign-ins"),
          r.toString());
    }
    System.out.printf("sign-in flood: %d answers, %d of them 429; %d keep-alives meanwhile%n",
        replies.size(), throttled.size(), keptAlive);
  }

  @Test
  void httpPlaintextServesTheRestApiInClearWhenAskedFor() throws Exception {
    Proc plain = cluster.manager("plain", List.of("--http-plaintext"),
        Map.of("DFCACHE_MANAGER_ADMIN_PASSWORD", PASSWORD));
    assertTrue(java.nio.file.Files.readString(plain.log).contains("manager up http="),
        "the start line says http");
    ManagerApi api = new ManagerApi(plain.otherPort).signIn("root", PASSWORD);
    assertEquals(200, api.get("/api/v1/schedulers").status());
    // the gRPC port keeps mutual TLS and the registration rule
    Path daemonCert = certificate("dfdaemon", "d1,127.0.0.1");
    DfException refused = refusal(() -> {
      try (Channels channels = new Channels(PeerTls.load(daemonCert).grpcClient())) {
        ManagerRpc.UPDATE_SCHEDULER.call(channels.get(HostPort.parse(plain.grpc())),
            scheduler("127.0.0.1"), Duration.ofSeconds(10));
      }
    });
    assertTrue(refused.getMessage().contains("not the scheduler role"), refused.getMessage());
  }
}
