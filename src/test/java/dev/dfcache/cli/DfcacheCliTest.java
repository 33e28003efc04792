package dev.dfcache.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** How the CLI finds the command to build: only that one, or all of them for help and typos. */
class DfcacheCliTest {

  @Test
  void findsTheCommandWhereverTheDaemonFlagStands() {
    assertEquals("stat", DfcacheCli.commandNameIn("stat", "-i", "x"));
    assertEquals("export", DfcacheCli.commandNameIn("--daemon", "h:1", "export", "-i", "x"));
    assertEquals("import", DfcacheCli.commandNameIn("--daemon=h:1", "import", "f"));
    assertEquals("delete", DfcacheCli.commandNameIn("-q", "delete"));
  }

  @Test
  void helpTyposAndNothingNameNoCommand() {
    assertNull(DfcacheCli.commandNameIn());
    assertNull(DfcacheCli.commandNameIn("--help"));
    assertNull(DfcacheCli.commandNameIn("help", "stat"));
    assertNull(DfcacheCli.commandNameIn("stats", "-i", "x"));
    // a daemon address that happens to be a command's name is still the flag's value
    assertNull(DfcacheCli.commandNameIn("--daemon", "stat"));
  }

  @Test
  void buildsOnlyTheCommandBeingRunButAllForHelp() {
    assertEquals(Set.of("stat"),
        DfcacheCli.commandLine("stat", "-i", "x").getSubcommands().keySet());
    assertEquals(Set.of("stat", "import", "export", "delete", "ls", "help"),
        DfcacheCli.commandLine("--help").getSubcommands().keySet());
  }

  @Test
  void theDaemonFlagIsInheritedByACommandAddedOnItsOwn() {
    assertEquals(1, DfcacheCli.commandLine("stat", "--daemon", "h:1", "-i", "x")
        .getSubcommands().get("stat").getCommandSpec().options().stream()
        .filter(o -> o.longestName().equals("--daemon")).count());
  }

  /** The command's options as parsed from {@code args}. */
  private static DfcacheCli.Common parsed(String... args) {
    picocli.CommandLine cl = DfcacheCli.commandLine(args);
    java.util.List<picocli.CommandLine> chain = cl.parseArgs(args).asCommandLineList();
    return chain.get(chain.size() - 1).getCommand();
  }

  @Test
  void jsonAndQuietGoBeforeOrAfterTheCommand() {
    for (String command : new String[] {"stat", "ls", "import", "export", "delete"}) {
      assertTrue(parsed("--json", command).json(), command);
      assertTrue(parsed(command, "--json").json(), command);
      assertTrue(parsed("--daemon", "h:1", "--json", command, "--daemon", "h:2").json(), command);
      assertFalse(parsed(command).json(), command);
      assertTrue(parsed("-q", command).quiet(), command);
      assertTrue(parsed(command, "--quiet").quiet(), command);
      assertFalse(parsed(command, "--json").quiet(), command);
    }
    assertEquals("stat", DfcacheCli.commandNameIn("--json", "stat", "-i", "x"));
    assertEquals("export", DfcacheCli.commandNameIn("-q", "--json", "export"));
  }

  @Test
  void everyCommandsHelpNamesJson() {
    for (String command : new String[] {"stat", "ls", "import", "export", "delete"}) {
      String help = DfcacheCli.commandLine(command).getSubcommands().get(command).getUsageMessage();
      assertTrue(help.contains("--json"), help);
      assertTrue(help.contains("--quiet"), help);
    }
  }
}
