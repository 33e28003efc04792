package dev.dfcache.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * k8s/monitoring: PodMonitors that select dfcache's pods by the labels and port names the
 * manifests in k8s/ give them, and a Grafana dashboard with the panels an operator looks for.
 * (PrometheusIT runs every dashboard query against a real Prometheus.)
 */
class MonitoringManifestsTest {
  static final Path DIR = Path.of("k8s", "monitoring");
  static final List<Map<String, Object>> monitors = new ArrayList<>();

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void load() throws Exception {
    K8sManifestsTest.load();
    for (Object doc : new Load(LoadSettings.builder().build())
        .loadAllFromString(Files.readString(DIR.resolve("podmonitors.yaml")))) {
      monitors.add((Map<String, Object>) doc);
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyComponentIsScrapedOnAPortItOpens() {
    Set<String> scraped = new TreeSet<>();
    for (Map<String, Object> m : monitors) {
      assertEquals("monitoring.coreos.com/v1", m.get("apiVersion"));
      assertEquals("PodMonitor", m.get("kind"));
      Map<String, Object> meta = (Map<String, Object>) m.get("metadata");
      assertEquals("dfcache", meta.get("namespace"), "the namespace of k8s/kustomization.yaml");
      Map<String, Object> spec = (Map<String, Object>) m.get("spec");
      Map<String, String> selector = (Map<String, String>)
          ((Map<String, Object>) spec.get("selector")).get("matchLabels");
      List<Map.Entry<String, PodTemplateSpec>> pods = K8sManifestsTest.templates().entrySet()
          .stream().filter(e -> K8sManifestsTest.selects(selector,
              e.getValue().getMetadata().getLabels())).toList();
      assertEquals(1, pods.size(), meta.get("name") + " selects " + pods);
      PodTemplateSpec pod = pods.get(0).getValue();
      for (Map<String, Object> ep : (List<Map<String, Object>>) spec.get("podMetricsEndpoints")) {
        String port = (String) ep.get("port");
        assertTrue(pod.getSpec().getContainers().stream().anyMatch(c -> c.getPorts() != null
                && c.getPorts().stream().anyMatch(p -> port.equals(p.getName()))),
            meta.get("name") + ": no container port named " + port);
        assertEquals("/metrics", ep.get("path"));
        assertEquals("https", ep.get("scheme"), "k8s/ runs every component with TLS");
      }
      scraped.add(pods.get(0).getKey());
    }
    assertEquals(Set.of("Deployment/dfcache-scheduler", "DaemonSet/dfdaemon",
        "Deployment/dfcache-manager"), scraped);
  }

  @Test
  void theDashboardHasTheKeyPanels() throws Exception {
    JsonNode d = new ObjectMapper().readTree(DIR.resolve("grafana-dashboard.json").toFile());
    List<String> titles = new ArrayList<>();
    d.path("panels").forEach(p -> {
      titles.add(p.path("title").asText());
      assertFalse(p.path("targets").isEmpty(), p.path("title").asText() + " has no query");
    });
    for (String key : List.of("Transfer rate", "Pieces failed", "Stat and export latency",
        "Scheduler calls", "Peer hosts alive", "Tasks (scheduler)")) {
      assertTrue(titles.contains(key), "dashboard lacks " + key + ": " + titles);
    }
    assertEquals("datasource", d.path("templating").path("list").path(0).path("name").asText(),
        "the Prometheus data source is chosen on import");
  }
}
