package dev.dfcache.transfer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Bytes [start, end) of a file as a stream of 1 MiB chunks read with positional reads (measured:
 * 1 GiB exports 2.5-2.9 s with 256 KiB chunks, 1.75-1.9 s with 1 MiB: fewer hops to the I/O
 * dispatcher and fewer stream elements per byte). Unlike
 * pekko-http's getFromFile it neither reads from byte 0 nor uses 8 KiB chunks, and unlike
 * FileIO.fromPath it stops at the end of the range. unfoldResource runs on the blocking I/O
 * dispatcher, so the reads never block a stream or actor thread.
 */
public final class PieceRangeSource {
  public static final int CHUNK = 1024 * 1024;

  private PieceRangeSource() {}

  public static Source<ByteString, NotUsed> of(Path file, long start, long endExclusive) {
    return Source.unfoldResource(
        () -> new RangeReader(FileChannel.open(file, StandardOpenOption.READ), start, endExclusive),
        RangeReader::next,
        RangeReader::close);
  }

  private static final class RangeReader {
    private final FileChannel channel;
    private long position;
    private final long end;

    RangeReader(FileChannel channel, long start, long end) {
      this.channel = channel;
      this.position = start;
      this.end = end;
    }

    Optional<ByteString> next() throws IOException {
      if (position >= end) {
        return Optional.empty();
      }
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, end - position));
      while (buf.hasRemaining()) {
        int n = channel.read(buf, position + buf.position());
        if (n < 0) {
          throw new IOException("file ended before the requested range");
        }
      }
      position += buf.capacity();
      return Optional.of(ByteString.fromArrayUnsafe(buf.array()));
    }

    void close() throws IOException {
      channel.close();
    }
  }
}
