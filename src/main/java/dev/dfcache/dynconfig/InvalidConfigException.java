package dev.dfcache.dynconfig;

/** A cluster configuration with an unknown key or a bad value; the message says which. */
public final class InvalidConfigException extends RuntimeException {
  public InvalidConfigException(String message) {
    super(message);
  }
}
