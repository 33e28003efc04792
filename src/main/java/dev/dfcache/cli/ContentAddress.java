package dev.dfcache.cli;

import dev.dfcache.common.Digests;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/** The cid of a file named by its content: the SHA-256 of its bytes, read by the caller. */
final class ContentAddress {
  private ContentAddress() {}

  static String sha256Hex(Path file) throws IOException {
    MessageDigest md = Digests.sha256();
    ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      while (in.read(buf) >= 0) {
        buf.flip();
        md.update(buf);
        buf.clear();
      }
    }
    return Digests.hex(md.digest());
  }
}
