package dev.dfcache.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import dev.dfcache.common.HostPort;
import dev.dfcache.daemon.DaemonSettings;
import dev.dfcache.metrics.DaemonMetrics;
import dev.dfcache.metrics.SchedulerMetrics;
import dev.dfcache.scheduler.SchedulerNode;
import dev.dfcache.scheduler.SchedulerSettings;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.w3c.dom.Document;

/**
 * The manifests in k8s/, read into the Kubernetes API model (fabric8) and checked against each
 * other, against the application's own configuration and against the Dockerfile: no field the API
 * does not know, every manifest in the kustomization, probes and Services on ports the containers
 * open, pod labels that the bootstrap's discovery selector finds, RBAC that lets it, rolling
 * updates that keep the fleet up, JVM memory within the container limits. What needs a real
 * cluster (scheduling, kubelet probes, image pulls) is not checked here.
 */
class K8sManifestsTest {
  static final Path K8S = Path.of("k8s");
  static final String NAMESPACE = "dfcache";
  static final Pattern DNS_1123 = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  static final Pattern PORT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  static final Map<String, List<HasMetadata>> byFile = new LinkedHashMap<>();
  static final List<HasMetadata> all = new ArrayList<>();
  static Map<String, Object> kustomization;

  @BeforeAll
  static void load() throws Exception {
    if (!all.isEmpty()) {
      return; // loaded already (MonitoringManifestsTest loads these too)
    }
    KubernetesSerialization serialization = new KubernetesSerialization();
    try (Stream<Path> files = Files.list(K8S)) {
      for (Path f : files.sorted().toList()) {
        String name = f.getFileName().toString();
        if (Files.isDirectory(f) && name.equals("monitoring")) {
          continue; // Prometheus Operator kinds, not in the kustomization: MonitoringManifestsTest
        }
        if (!name.endsWith(".yaml") && !name.endsWith(".yml")) {
          fail("unexpected file in k8s/: " + name);
        }
        if (name.equals("kustomization.yaml")) {
          continue;
        }
        Object parsed = serialization.unmarshal(Files.readString(f));
        List<HasMetadata> resources = new ArrayList<>();
        flatten(parsed, resources, name);
        assertFalse(resources.isEmpty(), name + " holds no resource");
        byFile.put(name, resources);
        all.addAll(resources);
      }
    }
    kustomization = yaml(K8S.resolve("kustomization.yaml"));
  }

  /** The README and the pages under docs/ it links to, as one text. */
  static String documentation() throws java.io.IOException {
    StringBuilder all = new StringBuilder(Files.readString(Path.of("README.md")));
    try (Stream<Path> pages = Files.list(Path.of("docs"))) {
      for (Path page : pages.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
        all.append('\n').append(Files.readString(page));
      }
    }
    return all.toString();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> yaml(Path file) throws Exception {
    Object doc = new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
    return (Map<String, Object>) doc;
  }

  static void flatten(Object parsed, List<HasMetadata> out, String file) {
    if (parsed instanceof KubernetesList list) {
      out.addAll(list.getItems());
    } else if (parsed instanceof List<?> list) {
      for (Object o : list) {
        flatten(o, out, file);
      }
    } else if (parsed instanceof HasMetadata r) {
      out.add(r);
    } else if (parsed != null) {
      fail(file + ": not a Kubernetes resource: " + parsed.getClass());
    }
  }

  static <T extends HasMetadata> List<T> all(Class<T> kind) {
    return all.stream().filter(kind::isInstance).map(kind::cast).toList();
  }

  static <T extends HasMetadata> T one(Class<T> kind, String name) {
    return all(kind).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " " + name));
  }

  static Deployment scheduler() {
    return one(Deployment.class, "dfcache-scheduler");
  }

  static DaemonSet daemon() {
    return one(DaemonSet.class, "dfdaemon");
  }

  /** Every pod template with the workload that owns it. */
  static Map<String, PodTemplateSpec> templates() {
    Map<String, PodTemplateSpec> out = new LinkedHashMap<>();
    all(Deployment.class).forEach(d -> out.put("Deployment/" + d.getMetadata().getName(),
        d.getSpec().getTemplate()));
    all(DaemonSet.class).forEach(d -> out.put("DaemonSet/" + d.getMetadata().getName(),
        d.getSpec().getTemplate()));
    return out;
  }

  static Container container(PodTemplateSpec t, String name) {
    return t.getSpec().getContainers().stream().filter(c -> c.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no container " + name));
  }

  static int port(Container c, String name) {
    return c.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
        .map(ContainerPort::getContainerPort)
        .orElseThrow(() -> new AssertionError(c.getName() + " opens no port named " + name));
  }

  static String arg(Container c, String flag) {
    List<String> args = c.getArgs();
    int i = args.indexOf(flag);
    assertTrue(i >= 0 && i + 1 < args.size(), c.getName() + " has no " + flag + " argument");
    return args.get(i + 1);
  }

  static Optional<EnvVar> env(Container c, String name) {
    return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst();
  }

  /** The environment the container sees, with downward-API label references resolved. */
  static Map<String, String> envOf(PodTemplateSpec t, Container c) {
    Map<String, String> out = new HashMap<>();
    Pattern label = Pattern.compile("metadata\\.labels\\['([^']+)'\\]");
    for (EnvVar e : c.getEnv()) {
      if (e.getValue() != null) {
        out.put(e.getName(), e.getValue());
      } else if (e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null) {
        Matcher m = label.matcher(e.getValueFrom().getFieldRef().getFieldPath());
        if (m.matches()) {
          String v = t.getMetadata().getLabels().get(m.group(1));
          assertNotNull(v, c.getName() + ": env " + e.getName() + " reads a label the pod lacks");
          out.put(e.getName(), v);
        }
      }
    }
    return out;
  }

  static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    return selector != null && !selector.isEmpty()
        && labels.entrySet().containsAll(selector.entrySet());
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void everyManifestIsAKnownKubernetesResourceWithNoUnknownField() throws Exception {
    Set<String> kinds = new TreeSet<>();
    for (var e : byFile.entrySet()) {
      for (HasMetadata r : e.getValue()) {
        String where = e.getKey() + ": " + r.getKind() + "/" + r.getMetadata().getName();
        assertFalse(r instanceof GenericKubernetesResource, where + " is not a kind the API knows");
        assertEquals(HasMetadata.getApiVersion(r.getClass()), r.getApiVersion(), where);
        assertEquals(HasMetadata.getKind(r.getClass()), r.getKind(), where);
        assertTrue(DNS_1123.matcher(r.getMetadata().getName()).matches(), where + " name");
        if (!(r instanceof Namespace)) {
          assertEquals(NAMESPACE, r.getMetadata().getNamespace(), where + " namespace");
        }
        List<String> unknown = new ArrayList<>();
        unknownFields(r, r.getKind(), unknown);
        assertTrue(unknown.isEmpty(), where + " has fields the API does not know: " + unknown);
        kinds.add(r.getKind());
      }
    }
    assertEquals(new TreeSet<>(List.of("ConfigMap", "DaemonSet", "Deployment", "Namespace",
        "PodDisruptionBudget", "Role", "RoleBinding", "Service", "ServiceAccount")), kinds);
    // names unique per kind
    Set<String> ids = new HashSet<>();
    for (HasMetadata r : all) {
      assertTrue(ids.add(r.getKind() + "/" + r.getMetadata().getName()), "duplicate " + r);
    }
    for (var t : templates().entrySet()) {
      for (Container c : allContainers(t.getValue())) {
        String where = t.getKey() + "/" + c.getName();
        assertNotNull(c.getImage(), where + " image");
        Set<String> names = new HashSet<>();
        Set<Integer> numbers = new HashSet<>();
        for (ContainerPort p : c.getPorts()) {
          assertTrue(p.getName() != null && p.getName().length() <= 15
              && PORT_NAME.matcher(p.getName()).matches(), where + " port name " + p.getName());
          assertTrue(names.add(p.getName()) && numbers.add(p.getContainerPort()),
              where + " repeats port " + p);
          assertTrue(p.getContainerPort() > 0 && p.getContainerPort() < 65536, where);
        }
        if (c.getResources() != null) {
          c.getResources().getRequests().values().forEach(Quantity::getNumericalAmount);
          c.getResources().getLimits().values().forEach(Quantity::getNumericalAmount);
        }
      }
    }
  }

  static List<Container> allContainers(PodTemplateSpec t) {
    List<Container> out = new ArrayList<>(t.getSpec().getContainers());
    out.addAll(t.getSpec().getInitContainers());
    return out;
  }

  /** Fields the model kept in additionalProperties: the API server would reject or drop them. */
  static void unknownFields(Object o, String path, List<String> out) throws Exception {
    if (o == null) {
      return;
    }
    if (o instanceof Map<?, ?> m) {
      for (var e : m.entrySet()) {
        unknownFields(e.getValue(), path + "." + e.getKey(), out);
      }
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object x : c) {
        unknownFields(x, path + "[" + i++ + "]", out);
      }
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")
        || o instanceof Quantity || o instanceof IntOrString) {
      return;
    }
    for (Class<?> k = o.getClass(); k != null && k.getName().startsWith("io.fabric8"); k = k.getSuperclass()) {
      for (Field f : k.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers())) {
          continue;
        }
        f.setAccessible(true);
        Object v = f.get(o);
        if (f.getName().equals("additionalProperties")) {
          if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
            out.add(path + ": " + extra.keySet());
          }
        } else {
          unknownFields(v, path + "." + f.getName(), out);
        }
      }
    }
  }

  @Test
  void kustomizationListsEveryManifestAndNamesTheImage() {
    assertEquals("kustomize.config.k8s.io/v1beta1", kustomization.get("apiVersion"));
    assertEquals("Kustomization", kustomization.get("kind"));
    assertEquals(NAMESPACE, kustomization.get("namespace"));
    assertEquals(NAMESPACE, all(Namespace.class).get(0).getMetadata().getName());
    @SuppressWarnings("unchecked")
    List<String> resources = (List<String>) kustomization.get("resources");
    assertEquals(resources.size(), new HashSet<>(resources).size(), "listed twice: " + resources);
    assertEquals(byFile.keySet(), new HashSet<>(resources),
        "kustomization resources must be exactly the manifests in k8s/");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> images = (List<Map<String, Object>>) kustomization.get("images");
    Set<String> imageNames = images.stream().map(i -> (String) i.get("name"))
        .collect(Collectors.toSet());
    for (var t : templates().entrySet()) {
      for (Container c : allContainers(t.getValue())) {
        String image = c.getImage();
        String name = image.contains(":") ? image.substring(0, image.lastIndexOf(':')) : image;
        assertTrue(imageNames.contains(name), t.getKey() + " uses image " + image
            + " that the kustomization does not manage");
      }
    }
  }

  @Test
  void probesAndServicesPointAtPortsTheContainersOpen() throws Exception {
    for (var t : templates().entrySet()) {
      for (Container c : allContainers(t.getValue())) {
        for (Probe p : Stream.of(c.getReadinessProbe(), c.getLivenessProbe(), c.getStartupProbe())
            .filter(java.util.Objects::nonNull).toList()) {
          IntOrString port = p.getHttpGet() != null ? p.getHttpGet().getPort()
              : p.getTcpSocket() != null ? p.getTcpSocket().getPort() : null;
          assertNotNull(port, t.getKey() + "/" + c.getName() + ": probe without a port");
          assertOpens(c, port, t.getKey() + "/" + c.getName() + " probe");
        }
      }
    }
    // scheduler: readiness and liveness on pekko-management's own paths and port
    Config app = ConfigFactory.load();
    Container s = container(scheduler().getSpec().getTemplate(), "scheduler");
    assertEquals("/" + app.getString("pekko.management.health-checks.readiness-path"),
        s.getReadinessProbe().getHttpGet().getPath());
    assertEquals("/" + app.getString("pekko.management.health-checks.liveness-path"),
        s.getLivenessProbe().getHttpGet().getPath());
    assertEquals("management", s.getReadinessProbe().getHttpGet().getPort().getStrVal());
    assertEquals("management", s.getLivenessProbe().getHttpGet().getPort().getStrVal());
    // the ports the scheduler is told to serve are the ports the container declares
    assertEquals(port(s, "grpc"), Integer.parseInt(arg(s, "--grpc-port")));
    assertEquals(port(s, "remoting"), Integer.parseInt(arg(s, "--cluster-port")));
    assertEquals(port(s, "management"), Integer.parseInt(arg(s, "--management-port")));
    assertEquals("$(POD_IP)", arg(s, "--host"));
    assertEquals("status.podIP", env(s, "POD_IP").orElseThrow().getValueFrom().getFieldRef()
        .getFieldPath());
    // daemon: /healthz on its upload port (UploadServer), ports as its configuration says
    Container d = container(daemon().getSpec().getTemplate(), "dfdaemon");
    assertEquals("/healthz", d.getReadinessProbe().getHttpGet().getPath());
    assertEquals("/healthz", d.getLivenessProbe().getHttpGet().getPath());
    assertEquals("upload", d.getReadinessProbe().getHttpGet().getPort().getStrVal());
    DaemonSettings ds = daemonSettings();
    assertEquals(ds.grpcPort(), port(d, "grpc"));
    assertEquals(ds.uploadPort(), port(d, "upload"));
    for (ContainerPort p : d.getPorts()) {
      assertEquals(p.getContainerPort(), p.getHostPort(), "host port of " + p.getName());
    }
    // Prometheus annotations name the port that serves /metrics
    assertEquals(Integer.toString(port(s, "grpc")), scheduler().getSpec().getTemplate()
        .getMetadata().getAnnotations().get("prometheus.io/port"));
    assertEquals(Integer.toString(port(d, "upload")), daemon().getSpec().getTemplate()
        .getMetadata().getAnnotations().get("prometheus.io/port"));
    // every Service selects a workload's pods and targets ports they open
    for (Service svc : all(Service.class)) {
      List<PodTemplateSpec> selected = templates().values().stream()
          .filter(t -> selects(svc.getSpec().getSelector(), t.getMetadata().getLabels())).toList();
      assertEquals(1, selected.size(), "Service " + svc.getMetadata().getName() + " selects "
          + selected.size() + " workloads");
      for (ServicePort sp : svc.getSpec().getPorts()) {
        Container target = selected.get(0).getSpec().getContainers().get(0);
        assertOpens(target, sp.getTargetPort(), "Service " + svc.getMetadata().getName());
        assertEquals(sp.getPort(), port(target, sp.getTargetPort().getStrVal()),
            "Service port " + sp.getName() + " should equal the container port");
      }
    }
    Service grpc = one(Service.class, "dfcache-scheduler");
    assertEquals(List.of("grpc"), grpc.getSpec().getPorts().stream().map(ServicePort::getName)
        .toList());
    Service headless = one(Service.class, "dfcache-scheduler-internal");
    assertEquals("None", headless.getSpec().getClusterIP());
    assertEquals(Boolean.TRUE, headless.getSpec().getPublishNotReadyAddresses());
  }

  static void assertOpens(Container c, IntOrString port, String where) {
    if (port.getStrVal() != null) {
      assertTrue(c.getPorts().stream().anyMatch(p -> port.getStrVal().equals(p.getName())),
          where + ": no container port named " + port.getStrVal());
    } else {
      assertTrue(c.getPorts().stream().anyMatch(p -> port.getIntVal().equals(p.getContainerPort())),
          where + ": no container port " + port.getIntVal());
    }
  }

  @Test
  void schedulerPodsCarryTheLabelTheBootstrapDiscoverySelects() throws Exception {
    Deployment dep = scheduler();
    PodTemplateSpec t = dep.getSpec().getTemplate();
    Container s = container(t, "scheduler");
    assertEquals("kubernetes", arg(s, "--bootstrap"));
    assertFalse(s.getArgs().contains("--seed-nodes"));
    // the configuration the pod runs with: the application's, with the pod's environment
    Map<String, String> podEnv = envOf(t, s);
    SchedulerSettings settings = SchedulerSettings.fromConfig(ConfigFactory.load())
        .withBootstrap(SchedulerSettings.Bootstrap.KUBERNETES, port(s, "management"));
    Config base = ConfigFactory.parseMap(podEnv);
    Config unresolved = ConfigFactory.parseResources("scheduler-kubernetes.conf")
        .withFallback(base);
    Config pod = unresolved.resolve(ConfigResolveOptions.noSystem());
    Config full = SchedulerNode.clusterConfig(settings, ConfigFactory.load());
    assertEquals("kubernetes-api",
        full.getString("pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
    assertTrue(full.getBoolean("pekko.discovery.kubernetes-api.use-raw-ip"));
    String serviceName =
        pod.getString("pekko.management.cluster.bootstrap.contact-point-discovery.service-name");
    String selector = full.getString("pekko.discovery.kubernetes-api.pod-label-selector")
        .replace("%s", serviceName);
    Map<String, String> wanted = new HashMap<>();
    for (String term : selector.split(",")) {
      String[] kv = term.split("=", 2);
      wanted.put(kv[0].trim(), kv[1].trim());
    }
    assertTrue(selects(wanted, t.getMetadata().getLabels()),
        "discovery selects " + selector + " but the pods are labelled " + t.getMetadata().getLabels());
    assertTrue(selects(dep.getSpec().getSelector().getMatchLabels(), t.getMetadata().getLabels()));
    // the bootstrap contacts each pod on the container port it names
    String portName =
        pod.getString("pekko.management.cluster.bootstrap.contact-point-discovery.port-name");
    assertEquals(port(s, "management"), port(s, portName));
    int required = pod.getInt(
        "pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr");
    assertTrue(required >= 2 && required <= dep.getSpec().getReplicas(),
        "required-contact-point-nr " + required + " vs replicas " + dep.getSpec().getReplicas());
    // the pod's service account may list pods in its namespace
    String account = t.getSpec().getServiceAccountName();
    ServiceAccount sa = one(ServiceAccount.class, account);
    assertFalse(Boolean.FALSE.equals(sa.getAutomountServiceAccountToken())
        || Boolean.FALSE.equals(t.getSpec().getAutomountServiceAccountToken()),
        "bootstrap reads the service account token");
    RoleBinding binding = all(RoleBinding.class).stream()
        .filter(b -> b.getSubjects().stream().anyMatch(x -> x.getKind().equals("ServiceAccount")
            && x.getName().equals(account) && NAMESPACE.equals(x.getNamespace())))
        .findFirst().orElseThrow(() -> new AssertionError("no RoleBinding for " + account));
    assertEquals("Role", binding.getRoleRef().getKind());
    Role role = one(Role.class, binding.getRoleRef().getName());
    PolicyRule rule = role.getRules().stream()
        .filter(r -> r.getApiGroups().contains("") && r.getResources().contains("pods"))
        .findFirst().orElseThrow(() -> new AssertionError("role grants nothing on pods"));
    assertTrue(rule.getVerbs().containsAll(List.of("get", "watch", "list")), "verbs " + rule);
  }

  @Test
  void rollingUpdatesAndDisruptionsKeepTheFleetUp() {
    Deployment dep = scheduler();
    assertEquals(3, dep.getSpec().getReplicas());
    assertEquals("RollingUpdate", dep.getSpec().getStrategy().getType());
    assertEquals(1, dep.getSpec().getStrategy().getRollingUpdate().getMaxSurge().getIntVal());
    assertEquals(0, dep.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal());
    PodDisruptionBudget pdb = one(PodDisruptionBudget.class, "dfcache-scheduler");
    assertTrue(selects(pdb.getSpec().getSelector().getMatchLabels(),
        dep.getSpec().getTemplate().getMetadata().getLabels()));
    assertEquals(1, pdb.getSpec().getMaxUnavailable().getIntVal());
    // SIGTERM hands shards over: the grace period covers the hand-off timeout and the other phases
    Config cluster = SchedulerNode.clusterConfig(SchedulerSettings.fromConfig(ConfigFactory.load())
        .withBootstrap(SchedulerSettings.Bootstrap.KUBERNETES, 0), ConfigFactory.load());
    Duration handoff = cluster.getDuration("pekko.cluster.sharding.handoff-timeout");
    long grace = dep.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
    assertTrue(grace >= handoff.toSeconds() + 20, "grace " + grace + " s vs hand-off " + handoff);
    assertEquals("on", cluster.getString("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook"));
    DaemonSet ds = daemon();
    assertEquals("RollingUpdate", ds.getSpec().getUpdateStrategy().getType());
  }

  @Test
  void jvmMemoryFitsTheContainerLimits() {
    for (var t : templates().entrySet()) {
      for (Container c : t.getValue().getSpec().getContainers()) {
        String where = t.getKey() + "/" + c.getName();
        String opts = env(c, "JDK_JAVA_OPTIONS").map(EnvVar::getValue)
            .orElseThrow(() -> new AssertionError(where + ": no JDK_JAVA_OPTIONS"));
        Quantity limit = c.getResources().getLimits().get("memory");
        Quantity request = c.getResources().getRequests().get("memory");
        assertNotNull(limit, where + ": no memory limit");
        assertEquals(limit.getNumericalAmount(), request.getNumericalAmount(),
            where + ": memory request and limit differ");
        assertNotNull(c.getResources().getRequests().get("cpu"), where + ": no cpu request");
        long limitBytes = limit.getNumericalAmount().longValue();
        long xmx = jvmBytes(opts, "-Xmx");
        long xms = jvmBytes(opts, "-Xms");
        long direct = jvmBytes(opts, "-XX:MaxDirectMemorySize=");
        assertTrue(xms <= xmx, where + ": -Xms above -Xmx");
        assertTrue(xmx + direct <= limitBytes * 0.8, where + ": heap " + xmx + " + direct "
            + direct + " leave too little of " + limitBytes + " for the rest of the JVM");
        assertTrue(xmx >= limitBytes * 0.45, where + ": heap " + xmx + " wastes the limit "
            + limitBytes);
        assertTrue(opts.contains("-XX:+ExitOnOutOfMemoryError"), where);
      }
    }
    // the daemon's pieces in flight fit in its heap
    long xmx = jvmBytes(env(container(daemon().getSpec().getTemplate(), "dfdaemon"),
        "JDK_JAVA_OPTIONS").orElseThrow().getValue(), "-Xmx");
    assertTrue(daemonSettings().maxInflightBytes() * 4 <= xmx);
  }

  static long jvmBytes(String opts, String flag) {
    Matcher m = Pattern.compile(Pattern.quote(flag) + "(\\d+)([kKmMgG]?)").matcher(opts);
    assertTrue(m.find(), "no " + flag + " in " + opts);
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2).toLowerCase()) {
      case "k" -> n << 10;
      case "m" -> n << 20;
      case "g" -> n << 30;
      default -> n;
    };
  }

  /** The daemon's settings as the DaemonSet's pod reads them: its ConfigMap via -Dconfig.file. */
  static DaemonSettings daemonSettings() {
    return DaemonSettings.fromConfig(daemonConfig());
  }

  static Config daemonConfig() {
    Container d = container(daemon().getSpec().getTemplate(), "dfdaemon");
    String opts = env(d, "JDK_JAVA_OPTIONS").orElseThrow().getValue();
    Matcher m = Pattern.compile("-Dconfig\\.file=(\\S+)").matcher(opts);
    assertTrue(m.find(), "the daemon reads no config file");
    Path file = Path.of(m.group(1));
    VolumeMount mount = d.getVolumeMounts().stream()
        .filter(v -> file.getParent().toString().equals(v.getMountPath())).findFirst()
        .orElseThrow(() -> new AssertionError("nothing mounted at " + file.getParent()));
    Volume volume = daemon().getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
    assertNotNull(volume.getConfigMap(), file.getParent() + " is not a ConfigMap");
    ConfigMap cm = one(ConfigMap.class, volume.getConfigMap().getName());
    String text = cm.getData().get(file.getFileName().toString());
    assertNotNull(text, "ConfigMap has no key " + file.getFileName());
    return ConfigFactory.systemProperties()
        .withFallback(ConfigFactory.parseString(text))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  @Test
  void daemonSetKeepsTheCacheOnTheHostAndFindsTheSchedulers() {
    DaemonSettings s = daemonSettings();
    PodTemplateSpec t = daemon().getSpec().getTemplate();
    Container d = container(t, "dfdaemon");
    VolumeMount data = d.getVolumeMounts().stream()
        .filter(v -> v.getMountPath().equals(s.dataDir().toString())).findFirst()
        .orElseThrow(() -> new AssertionError("data-dir " + s.dataDir() + " is not mounted"));
    Volume volume = t.getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(data.getName())).findFirst().orElseThrow();
    assertNotNull(volume.getHostPath(), "the cache must live on the host");
    assertEquals("DirectoryOrCreate", volume.getHostPath().getType());
    assertFalse(Boolean.TRUE.equals(data.getReadOnly()));
    // the init container hands the host directory to the user the daemon runs as
    Container init = t.getSpec().getInitContainers().get(0);
    long uid = d.getSecurityContext().getRunAsUser();
    assertTrue(String.join(" ", init.getCommand()).contains("chown " + uid + ":" + uid + " "
        + s.dataDir()), "init container: " + init.getCommand());
    assertTrue(init.getVolumeMounts().stream().anyMatch(v -> v.getName().equals(data.getName())));
    // the directories imports come from and exports go to are host directories client pods
    // can share, writable by the daemon's user
    Config daemon = daemonConfig().getConfig("dfcache.daemon");
    for (String key : List.of("allowed-import-dirs", "allowed-export-dirs")) {
      for (String dir : daemon.getStringList(key)) {
        VolumeMount m = d.getVolumeMounts().stream().filter(v -> v.getMountPath().equals(dir))
            .findFirst().orElseThrow(() -> new AssertionError(key + " " + dir + " not mounted"));
        Volume v = t.getSpec().getVolumes().stream()
            .filter(x -> x.getName().equals(m.getName())).findFirst().orElseThrow();
        assertNotNull(v.getHostPath(), dir + " must be a host directory");
        assertTrue(String.join(" ", init.getCommand()).contains("chmod 1777 " + dir)
            || dir.equals(s.dataDir().toString()), dir + " is not writable by the daemon");
      }
    }
    // schedulers: the gRPC Service, by name, on its port
    Service grpc = one(Service.class, "dfcache-scheduler");
    assertEquals(List.of(new HostPort(grpc.getMetadata().getName(),
        grpc.getSpec().getPorts().get(0).getPort())), HostPort.parseList(arg(d, "--schedulers")));
    assertEquals("$(POD_IP)", arg(d, "--host"));
    assertEquals("$(NODE_NAME)", arg(d, "--host-id"));
    assertEquals("spec.nodeName",
        env(d, "NODE_NAME").orElseThrow().getValueFrom().getFieldRef().getFieldPath());
  }

  @Test
  void dockerfileBuildsTheImageTheManifestsRun() throws Exception {
    String dockerfile = Files.readString(Path.of("Dockerfile"));
    // the jar the build stage copies is the one the shade plugin writes
    Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(Path.of("pom.xml").toFile());
    String finalName = pom.getElementsByTagName("finalName").item(0).getTextContent().trim();
    assertTrue(dockerfile.contains("COPY --from=build /src/target/" + finalName + ".jar "
        + "/opt/dfcache/dfcache.jar"), "Dockerfile copies another jar than " + finalName);
    assertTrue(dockerfile.contains("RUN mvn -B -q -DskipTests package"));
    for (Matcher m = Pattern.compile("(?m)^COPY (?!--from)(\\S+) ").matcher(dockerfile); m.find(); ) {
      assertTrue(Files.exists(Path.of(m.group(1))), "Dockerfile copies missing " + m.group(1));
      assertTrue(Files.readString(Path.of(".dockerignore")).contains("!" + m.group(1)
          .replaceAll("/$", "")), ".dockerignore leaves out " + m.group(1));
    }
    assertTrue(dockerfile.contains("ENTRYPOINT [\"java\", \"-jar\", \"/opt/dfcache/dfcache.jar\"]"));
    Matcher user = Pattern.compile("(?m)^USER (\\d+)$").matcher(dockerfile);
    assertTrue(user.find(), "the image runs as root");
    long uid = Long.parseLong(user.group(1));
    // EXPOSE covers every port the manifests open; the containers run as the image's user
    Matcher expose = Pattern.compile("(?m)^EXPOSE (.+)$").matcher(dockerfile);
    assertTrue(expose.find());
    Set<Integer> exposed = Stream.of(expose.group(1).trim().split("\\s+")).map(Integer::parseInt)
        .collect(Collectors.toSet());
    for (var t : templates().entrySet()) {
      for (Container c : t.getValue().getSpec().getContainers()) {
        for (ContainerPort p : c.getPorts()) {
          assertTrue(exposed.contains(p.getContainerPort()), "EXPOSE lacks " + p);
        }
        Long runAs = c.getSecurityContext() != null && c.getSecurityContext().getRunAsUser() != null
            ? c.getSecurityContext().getRunAsUser()
            : t.getValue().getSpec().getSecurityContext().getRunAsUser();
        assertEquals(uid, runAs, t.getKey() + "/" + c.getName() + " user");
        assertEquals(t.getKey().equals("DaemonSet/dfdaemon") ? "dfdaemon"
                : t.getKey().equals("Deployment/dfcache-manager") ? "manager" : "scheduler",
            c.getArgs().get(0), "component run by " + t.getKey());
      }
    }
    // the documented build command makes the image the kustomization deploys
    @SuppressWarnings("unchecked")
    Map<String, Object> image = ((List<Map<String, Object>>) kustomization.get("images")).get(0);
    String tag = image.get("newName") + ":" + image.get("newTag");
    String readme = documentation();
    assertTrue(dockerfile.contains("docker build -t " + tag + " ."), "Dockerfile header");
    assertTrue(readme.contains("docker build -t " + tag + " ."), "README build command");
    assertTrue(readme.contains("kubectl apply -k k8s/"), "README apply command");
    assertTrue(readme.contains("# Deploy dfcache on Kubernetes"));
  }

  @Test
  void readmeListsEveryMetric() throws Exception {
    String readme = documentation();
    Set<String> names = new TreeSet<>();
    names.addAll(ours(new SchedulerMetrics().registry));
    names.addAll(ours(new DaemonMetrics(() -> 0, () -> 0).registry));
    assertTrue(names.size() >= 15, "metrics: " + names);
    for (String n : names) {
      assertTrue(readme.contains("`" + n + "`"), "README does not list " + n);
    }
  }

  static Set<String> ours(PrometheusRegistry registry) {
    Set<String> out = new TreeSet<>();
    for (MetricSnapshot s : registry.scrape()) {
      String name = s.getMetadata().getPrometheusName();
      if (name.startsWith("dfcache_")) {
        out.add(name + (s instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot
            ? "_total" : ""));
      }
    }
    return out;
  }

  /** Mutual TLS where it is deployed: both components get --tls-dir from a Secret. */
  @Test
  void everyComponentRunsWithMutualTlsFromASecret() {
    Map<String, String> secrets = new LinkedHashMap<>();
    for (Map.Entry<String, PodTemplateSpec> t : templates().entrySet()) {
      PodTemplateSpec template = t.getValue();
      Container c = template.getSpec().getContainers().get(0);
      String dir = arg(c, "--tls-dir");
      io.fabric8.kubernetes.api.model.VolumeMount m = c.getVolumeMounts().stream()
          .filter(v -> v.getMountPath().equals(dir)).findFirst()
          .orElseThrow(() -> new AssertionError(t.getKey() + ": " + dir + " not mounted"));
      assertTrue(Boolean.TRUE.equals(m.getReadOnly()), t.getKey());
      io.fabric8.kubernetes.api.model.Volume v = template.getSpec().getVolumes().stream()
          .filter(x -> x.getName().equals(m.getName())).findFirst().orElseThrow();
      assertNotNull(v.getSecret(), t.getKey() + ": the certificates come from a Secret");
      secrets.put(t.getKey(), v.getSecret().getSecretName());
    }
    assertEquals(Map.of("Deployment/dfcache-scheduler", "dfcache-scheduler-tls",
        "DaemonSet/dfdaemon", "dfcache-dfdaemon-tls",
        "Deployment/dfcache-manager", "dfcache-manager-tls"), secrets);
    // the daemon's probes speak HTTPS to the upload port (which needs no client certificate
    // for /healthz)
    Container d = container(daemon().getSpec().getTemplate(), "dfdaemon");
    assertEquals("HTTPS", d.getReadinessProbe().getHttpGet().getScheme());
    assertEquals("HTTPS", d.getLivenessProbe().getHttpGet().getScheme());
    // one certificate for every daemon: the scheduler ties a caller to its pod IP instead, and
    // the daemon advertises that pod IP
    Container scheduler = templates().get("Deployment/dfcache-scheduler").getSpec()
        .getContainers().get(0);
    assertEquals("source", arg(scheduler, "--peer-identity"));
    assertEquals("$(POD_IP)", arg(d, "--host"));
  }

  @Test
  void theManagerTakesItsSecretsFromSecretsAndTheComponentsFindIt() {
    PodTemplateSpec manager = templates().get("Deployment/dfcache-manager");
    assertNotNull(manager, "k8s/ has the manager");
    Container m = manager.getSpec().getContainers().get(0);
    for (String name : List.of("DFCACHE_MANAGER_DB_URL", "DFCACHE_MANAGER_DB_USER",
        "DFCACHE_MANAGER_DB_PASSWORD", "DFCACHE_MANAGER_ADMIN_PASSWORD")) {
      EnvVar e = env(m, name).orElseThrow(() -> new AssertionError("manager has no " + name));
      assertNull(e.getValue(), name + " must not be written in the manifest");
      assertNotNull(e.getValueFrom().getSecretKeyRef(), name + " comes from a Secret");
    }
    int grpc = Integer.parseInt(arg(m, "--grpc-port"));
    int http = Integer.parseInt(arg(m, "--port"));
    io.fabric8.kubernetes.api.model.Service service =
        one(io.fabric8.kubernetes.api.model.Service.class, "dfcache-manager");
    assertTrue(service.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == grpc));
    assertTrue(service.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == http));
    assertEquals("/healthy", m.getReadinessProbe().getHttpGet().getPath());
    // with its --tls-dir the manager serves the REST API over HTTPS, and nothing turns it off
    assertEquals("HTTPS", m.getReadinessProbe().getHttpGet().getScheme());
    assertFalse(m.getArgs().contains("--http-plaintext"), "the manager's REST API in clear");
    assertEquals("https",
        manager.getMetadata().getAnnotations().get("prometheus.io/scheme"));
    for (String component : List.of("Deployment/dfcache-scheduler", "DaemonSet/dfdaemon")) {
      Container c = templates().get(component).getSpec().getContainers().get(0);
      assertEquals("dfcache-manager:" + grpc, arg(c, "--manager"),
          component + " is not pointed at the manager");
    }
  }

  /**
   * Names, not addresses: the manager hands the daemons pod IPs, which no certificate names, so
   * every component is told the Service name the certificate of what it dials must carry; and
   * the README's commands make exactly those certificates (one per component, with its role),
   * stored in the Secrets the workloads mount.
   */
  @Test
  void componentsTrustTheServicesByNameAndTheReadmeMakesThoseCertificates() throws Exception {
    Container d = container(daemon().getSpec().getTemplate(), "dfdaemon");
    Container scheduler = container(scheduler().getSpec().getTemplate(), "scheduler");
    assertEquals("dfcache-scheduler", arg(d, "--scheduler-tls-name"));
    assertEquals("dfcache-scheduler", HostPort.parse(arg(d, "--schedulers")).host());
    for (Container c : List.of(d, scheduler)) {
      assertEquals("dfcache-manager", arg(c, "--manager-tls-name"), c.getName());
      assertEquals("dfcache-manager", HostPort.parse(arg(c, "--manager")).host(), c.getName());
      assertTrue(env(c, "DFCACHE_MANAGER").isEmpty(), c.getName() + ": one way to set it");
    }
    String readme = documentation();
    Path pki = Files.createTempDirectory("k8s-pki");
    try {
      // role, the name in the certificate, the Secret
      for (List<String> cert : List.of(
          List.of("scheduler", "dfcache-scheduler", "dfcache-scheduler-tls"),
          List.of("dfdaemon", "dfdaemon", "dfcache-dfdaemon-tls"),
          List.of("manager", "dfcache-manager", "dfcache-manager-tls"))) {
        String make = "bin/dfcache-certs --role " + cert.get(0) + " pki " + cert.get(1);
        assertTrue(readme.contains(make + "\n"), "README does not run: " + make);
        assertTrue(readme.contains("kubectl -n dfcache create secret generic " + cert.get(2)
            + " --from-file=pki/" + cert.get(1) + "\n"), "README: Secret " + cert.get(2));
        assertEquals(0, dev.dfcache.tls.CertsCommand.run("--role", cert.get(0), pki.toString(),
            cert.get(1)));
        java.security.cert.Certificate[] chain =
            dev.dfcache.tls.TlsFiles.chain(pki.resolve(cert.get(1)));
        assertEquals(List.of(cert.get(1)), dev.dfcache.tls.CertificateRoles.hostNames(chain));
        assertEquals(Set.of(dev.dfcache.tls.CertificateRoles.Role.parse(cert.get(0))),
            dev.dfcache.tls.CertificateRoles.of(chain));
      }
    } finally {
      try (var walk = Files.walk(pki)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
