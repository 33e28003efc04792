package dev.dfcache.access;

import java.lang.reflect.Field;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;

/**
 * The numbers of file descriptors the JDK keeps to itself. There is no public API for them, yet
 * {@link CallerFiles} needs them: to fstat the file it actually opened and to name a directory it
 * holds, both as {@code /proc/self/fd/N}, which lead to the open inode rather than to a path
 * someone could swap. Reading them takes reflection into java.base, so the JVM must be started
 * with {@value #OPENS} (the jar's manifest says Add-Opens; tests get it from the surefire argLine).
 * Without them every call throws IllegalStateException: there is no path-based fallback.
 *
 * <p>A number is only meaningful while its channel or stream is open; callers use it at once.
 */
public final class Fds {
  static final String OPENS = "--add-opens java.base/sun.nio.ch=ALL-UNNAMED"
      + " --add-opens java.base/java.io=ALL-UNNAMED --add-opens java.base/sun.nio.fs=ALL-UNNAMED";

  private static final Access CHANNEL_FD = Access.of("sun.nio.ch.FileChannelImpl", "fd");
  private static final Access DESCRIPTOR_FD = Access.of("java.io.FileDescriptor", "fd");
  private static final Access DIRECTORY_FD =
      Access.of("sun.nio.fs.UnixSecureDirectoryStream", "dfd");

  private Fds() {}

  /** The descriptor of a file channel opened by the default (Linux) file system. */
  public static int of(FileChannel channel) {
    int fd = DESCRIPTOR_FD.intOf(CHANNEL_FD.valueOf(channel));
    if (fd < 0) {
      throw new IllegalStateException("the channel is closed");
    }
    return fd;
  }

  /** The descriptor of the directory a Linux SecureDirectoryStream holds. */
  public static int of(SecureDirectoryStream<Path> directory) {
    return DIRECTORY_FD.intOf(directory);
  }

  /** One private field, looked up once; a failed lookup is kept and reported on every use. */
  private record Access(Class<?> owner, Field field, String failure, Throwable cause) {
    static Access of(String className, String fieldName) {
      try {
        Class<?> owner = Class.forName(className);
        Field field = owner.getDeclaredField(fieldName);
        field.setAccessible(true);
        return new Access(owner, field, null, null);
      } catch (ReflectiveOperationException | RuntimeException e) {
        return new Access(null, null, "cannot read " + className + "." + fieldName
            + " (start the JVM with " + OPENS + "): " + e, e);
      }
    }

    Object valueOf(Object target) {
      try {
        return checked(target).get(target);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }

    int intOf(Object target) {
      try {
        return checked(target).getInt(target);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }

    private Field checked(Object target) {
      if (failure != null) {
        throw new IllegalStateException(failure, cause);
      }
      if (!owner.isInstance(target)) {
        throw new IllegalStateException("expected a " + owner.getName() + ", got "
            + (target == null ? "null" : target.getClass().getName()));
      }
      return field;
    }
  }
}
