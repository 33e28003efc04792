package dev.dfcache.common;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** SHA-256 helpers; piece digests and piece-list signs are lowercase hex. */
public final class Digests {
  private static final HexFormat HEX = HexFormat.of();

  private Digests() {}

  public static MessageDigest sha256() {
    return newDigest("SHA-256");
  }

  public static MessageDigest newDigest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is not available", e);
    }
  }

  public static String sha256Hex(byte[] data) {
    return hex(sha256().digest(data));
  }

  public static String hex(byte[] bytes) {
    return HEX.formatHex(bytes);
  }

  /**
   * The sign of a piece list: sha256 over the concatenated hex piece digests, in piece order. The
   * scheduler records it at announce time so a downloader can check a piece list from any parent.
   */
  public static String pieceListSign(List<String> pieceDigests) {
    MessageDigest md = sha256();
    for (String d : pieceDigests) {
      md.update(d.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
    return hex(md.digest());
  }
}
