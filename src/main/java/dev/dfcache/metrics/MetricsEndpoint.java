package dev.dfcache.metrics;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** Renders a registry in the Prometheus text format for GET /metrics. */
public final class MetricsEndpoint {
  private static final PrometheusTextFormatWriter WRITER = PrometheusTextFormatWriter.create();

  private MetricsEndpoint() {}

  /** A registry of one component, with the JVM's own metrics in it. */
  public static PrometheusRegistry newRegistry() {
    PrometheusRegistry registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry);
    return registry;
  }

  public static byte[] render(PrometheusRegistry registry) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      WRITER.write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  public static HttpResponse response(PrometheusRegistry registry) {
    return HttpResponse.create().withEntity(HttpEntities.create(
        ContentTypes.parse(WRITER.getContentType()), render(registry)));
  }
}
