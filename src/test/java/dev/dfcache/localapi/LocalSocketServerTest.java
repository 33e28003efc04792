package dev.dfcache.localapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

class LocalSocketServerTest {
  @Test
  void socketModesAreOctal() {
    assertEquals("rw-rw----", PosixFilePermissions.toString(LocalSocketServer.parseMode("0660")));
    assertEquals("rw-rw-rw-", PosixFilePermissions.toString(LocalSocketServer.parseMode("666")));
    assertEquals("rw-------", PosixFilePermissions.toString(LocalSocketServer.parseMode("0600")));
    assertThrows(IllegalArgumentException.class, () -> LocalSocketServer.parseMode("rw"));
    assertThrows(IllegalArgumentException.class, () -> LocalSocketServer.parseMode("0999"));
    assertThrows(IllegalArgumentException.class, () -> LocalSocketServer.parseMode("01777"));
  }
}
