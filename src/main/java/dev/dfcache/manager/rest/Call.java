package dev.dfcache.manager.rest;

import dev.dfcache.manager.db.UserRepository.User;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * One request as a handler sees it: who calls (null for sign-in), the path's variable parts, and
 * the body, read whole and within the size limit.
 */
record Call(HttpRequest request, User user, List<String> params, byte[] body) {

  /** The i-th variable part of the path as a positive id. */
  long id(int i) {
    String s = params.get(i);
    if (!s.matches("[0-9]{1,18}") || Long.parseLong(s) <= 0) {
      throw ApiError.badRequest("bad id in path: " + (s.length() > 40 ? s.substring(0, 40) : s));
    }
    return Long.parseLong(s);
  }

  /**
   * The connection's source address ("" when the server does not record it): never a
   * forwarded-for header, which any client can write.
   */
  String sourceAddress() {
    return request.getAttribute(org.apache.pekko.http.javadsl.model.AttributeKeys.remoteAddress)
        .flatMap(a -> a.getAddress()).map(java.net.InetAddress::getHostAddress).orElse("");
  }

  Optional<String> query(String name) {
    return request.getUri().query().get(name);
  }

  /** A numeric query parameter within [min, max], or {@code absent}. */
  long queryLong(String name, long min, long max, long absent) {
    Optional<String> v = query(name);
    if (v.isEmpty()) {
      return absent;
    }
    String s = v.get();
    if (!s.matches("-?[0-9]{1,18}") || Long.parseLong(s) < min || Long.parseLong(s) > max) {
      throw ApiError.badRequest("query parameter " + name + " must be a whole number within "
          + min + ".." + max);
    }
    return Long.parseLong(s);
  }
}
