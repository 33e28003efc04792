package dev.dfcache.access;

import dev.dfcache.common.DfException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An export's output while it is being written: a temp file of the caller's in the output
 * directory (held open since the permission checks, see {@link CallerFiles#createOutput}), and
 * the name it will get. Nothing appears under that name before {@link #commit()}, which never
 * replaces what may have appeared there meanwhile. Not thread-safe: one export uses it.
 */
public final class ExportTarget implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExportTarget.class);

  private final SecureDirectoryStream<Path> dir;
  private final Path name;
  private final Path tmp;
  private final FileChannel channel;
  private final Path path;
  private final boolean rootCaller;
  private boolean published;
  private boolean closed;

  ExportTarget(SecureDirectoryStream<Path> dir, Path name, Path tmp, FileChannel channel,
      Path path, boolean rootCaller) {
    this.dir = dir;
    this.name = name;
    this.tmp = tmp;
    this.channel = channel;
    this.path = path;
    this.rootCaller = rootCaller;
  }

  /** The temp file to write the bytes into. A full disk shows as IOException from its writes. */
  public FileChannel channel() {
    return channel;
  }

  /** The output as the caller named it (for messages). */
  public Path path() {
    return path;
  }

  /**
   * Publishes the temp file under the output name: link(2) through the held directory, so it
   * lands where the checks were made and fails, rather than replaces, if the name exists now.
   *
   * @throws DfException BadRequest when the name appeared since the check (the temp is removed)
   * @throws IOException when linking failed otherwise (e.g. a file system without hard links)
   */
  public void commit() throws IOException {
    requireUnpublished();
    channel.close();
    publish(CallerFiles.at(dir, tmp));
  }

  /**
   * Publishes a hard link to {@code file} (a cache file) instead of the temp file's bytes, for a
   * root caller only: anyone else must get a copy of their own, or could write into the cache.
   *
   * @throws DfException BadRequest when the name appeared since the check
   * @throws IOException when it cannot be linked (e.g. another device): copy into {@link
   *     #channel()} and {@link #commit()} instead
   */
  public void linkFrom(Path file) throws IOException {
    if (!rootCaller) {
      throw new IllegalStateException("linkFrom is for root callers only: " + path);
    }
    requireUnpublished();
    publish(file);
  }

  private void publish(Path source) throws IOException {
    try {
      Files.createLink(CallerFiles.at(dir, name), source);
    } catch (FileAlreadyExistsException e) {
      close();
      throw DfException.badRequest("output already exists (not overwritten): " + path);
    }
    published = true;
    CallerFiles.closeQuietly(channel);
    deleteTemp();
  }

  private void requireUnpublished() {
    if (published || closed) {
      throw new IllegalStateException("export target already " + (closed ? "closed" : "published")
          + ": " + path);
    }
  }

  private void deleteTemp() {
    try {
      dir.deleteFile(tmp);
    } catch (IOException e) {
      log.warn("could not remove the temp file {} next to {}: {}", tmp, path, e.toString());
    }
  }

  /** Removes the temp file unless it was published; releases the directory in any case. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      CallerFiles.closeQuietly(channel);
      if (!published) {
        deleteTemp();
      }
    } finally {
      CallerFiles.closeQuietly(dir);
    }
  }
}
