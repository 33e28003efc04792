package dev.dfcache.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
}
