package dev.dfcache;

import dev.dfcache.cli.DfcacheCli;
import dev.dfcache.daemon.DaemonCommand;
import dev.dfcache.scheduler.SchedulerCommand;
import java.util.Arrays;

/** One entry point for every process: dfdaemon | scheduler | dfcache. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // grpc-java logs through java.util.logging; keep its INFO chatter out of the output.
    java.util.logging.Logger.getLogger("io.grpc").setLevel(java.util.logging.Level.WARNING);
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      System.out.println("""
          usage: java -jar dfcache.jar <component> [options]

            dfdaemon    the peer daemon of one node (--standalone: with an embedded scheduler)
            scheduler   a scheduler node (one member of the scheduler cluster)
            manager     the control plane: cluster configuration, components, REST API
            dfcache     the command line client: import | stat | export | delete
            certs       a CA and per-host certificates for mutual TLS (bin/dfcache-certs)

          Run any of them with --help for its options.""");
      return;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "dfdaemon", "daemon" -> DaemonCommand.main(rest);
      case "scheduler" -> SchedulerCommand.main(rest);
      case "manager" -> dev.dfcache.manager.ManagerCommand.main(rest);
      case "dfcache", "cli" -> System.exit(DfcacheCli.run(rest));
      case "certs" -> System.exit(dev.dfcache.tls.CertsCommand.run(rest));
      default -> {
        System.err.println("Error: unknown component '" + args[0]
            + "' (expected dfdaemon, scheduler, manager or dfcache)");
        System.exit(1);
      }
    }
  }
}
