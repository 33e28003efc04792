package dev.dfcache.e2e;

/**
 * The failover suite again with mutual TLS on every hop: scheduler nodes killed and stopped
 * while their cluster (Artery tls-tcp) and the daemons' calls (HTTPS) run over TLS.
 */
class SchedulerFailoverTlsIT extends SchedulerFailoverIT {
  @Override
  void configure(LocalCluster cluster) {
    cluster.enableTls();
  }
}
