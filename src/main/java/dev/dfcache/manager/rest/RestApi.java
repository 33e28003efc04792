package dev.dfcache.manager.rest;

import dev.dfcache.manager.db.Database;
import dev.dfcache.manager.fleet.SchedulerFleet;
import dev.dfcache.manager.jobs.JobRunner;
import dev.dfcache.manager.db.UserRepository.User;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;

/**
 * The manager's REST API under /api/v1 (Dragonfly manager's paths), JSON in and out. This class
 * only dispatches: it finds the route (404 / 405), authenticates the bearer token (401), refuses
 * writes by read-only users (403), reads the body within {@link #MAX_BODY} (413), and maps every
 * failure to a JSON message in one place ({@link Responses#of}). The resources do the rest.
 */
public final class RestApi {
  static final int MAX_BODY = 1 << 20;
  private static final long BODY_TIMEOUT_MS = 10_000;
  private static final String V1 = "/api/v1";
  private static final String ID = "([^/]+)"; // checked by Call.id, so a bad id is a 400

  /** A handler of one method on one path. */
  private interface Handler {
    CompletionStage<HttpResponse> handle(Call call);
  }

  /**
   * @param open no token needed (sign-in)
   * @param anyRole read-only users may call it although it writes (their own tokens)
   */
  private record Route(Pattern path, HttpMethod method, boolean open, boolean anyRole,
      Handler handler) {}

  private final Materializer mat;
  private final Auth auth;
  private final PasswordHasher hasher;
  private final List<Route> routes = new ArrayList<>();

  public RestApi(Database db, Duration sessionTtl, SchedulerFleet fleet, JobRunner runner,
      Materializer mat) {
    this(db, sessionTtl, fleet, runner, mat, SignInThrottle.standard());
  }

  /** With a throttle of the caller's (tests). */
  RestApi(Database db, Duration sessionTtl, SchedulerFleet fleet, JobRunner runner,
      Materializer mat, SignInThrottle throttle) {
    this.mat = mat;
    this.auth = new Auth(db);
    this.hasher = PasswordHasher.standard();
    UserResource users = new UserResource(db, sessionTtl, throttle, hasher);
    ClusterResource clusters = new ClusterResource(db);
    ComponentResource components = new ComponentResource(db);
    TokenResource tokens = new TokenResource(db);
    AuditResource audits = new AuditResource(db);
    TaskResource tasks = new TaskResource(db, fleet);
    JobResource jobs = new JobResource(db, runner);
    OverviewResource overview = new OverviewResource(db);

    route(HttpMethods.POST, "/users/signin", true, true, users::signin);
    route(HttpMethods.POST, "/users/signout", false, true, users::signout);
    route(HttpMethods.GET, "/users", false, false, users::list);
    route(HttpMethods.POST, "/users", false, false, users::create);
    route(HttpMethods.GET, "/scheduler-clusters", false, false, clusters::list);
    route(HttpMethods.POST, "/scheduler-clusters", false, false, clusters::create);
    route(HttpMethods.GET, "/scheduler-clusters/" + ID, false, false, clusters::get);
    route(HttpMethods.PATCH, "/scheduler-clusters/" + ID, false, false, clusters::patch);
    route(HttpMethods.GET, "/schedulers", false, false, components::schedulers);
    route(HttpMethods.GET, "/peers", false, false, components::peers);
    route(HttpMethods.GET, "/peers/" + ID + "/tasks", false, false, tasks::ofPeer);
    route(HttpMethods.GET, "/tasks", false, false, tasks::list);
    route(HttpMethods.GET, "/tasks/" + ID, false, false, tasks::get);
    route(HttpMethods.GET, "/jobs", false, false, jobs::list);
    route(HttpMethods.POST, "/jobs", false, false, jobs::create);
    route(HttpMethods.GET, "/jobs/" + ID, false, false, jobs::get);
    route(HttpMethods.GET, "/clusters/" + ID + "/metrics", false, false, components::metrics);
    route(HttpMethods.GET, "/clusters/" + ID + "/metrics/latest", false, false, overview::latest);
    route(HttpMethods.GET, "/clusters/" + ID + "/metrics/minutes", false, false, overview::minutes);
    route(HttpMethods.GET, "/personal-access-tokens", false, true, tokens::list);
    route(HttpMethods.POST, "/personal-access-tokens", false, true, tokens::create);
    route(HttpMethods.DELETE, "/personal-access-tokens/" + ID, false, true, tokens::delete);
    route(HttpMethods.GET, "/audits", false, false, audits::list);
  }

  /** Stops the password threads. */
  public void close() {
    hasher.close();
  }

  private void route(HttpMethod method, String path, boolean open, boolean anyRole,
      Handler handler) {
    routes.add(new Route(Pattern.compile(regex(path)), method, open, anyRole, handler));
  }

  /** The path with its literal parts quoted and each {@link #ID} a capture group. */
  private static String regex(String path) {
    StringBuilder re = new StringBuilder("^").append(Pattern.quote(V1));
    String[] parts = path.split(Pattern.quote(ID), -1);
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        re.append(ID);
      }
      if (!parts[i].isEmpty()) {
        re.append(Pattern.quote(parts[i]));
      }
    }
    return re.append('$').toString();
  }

  public CompletionStage<HttpResponse> handle(HttpRequest request) {
    CompletionStage<HttpResponse> response;
    try {
      response = dispatch(request);
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    return response.exceptionally(Responses::of);
  }

  private CompletionStage<HttpResponse> dispatch(HttpRequest request) {
    String path = request.getUri().path();
    List<Route> onPath = new ArrayList<>();
    Route found = null;
    List<String> params = List.of();
    for (Route r : routes) {
      Matcher m = r.path().matcher(path);
      if (m.matches()) {
        onPath.add(r);
        if (r.method().equals(request.method())) {
          found = r;
          params = groups(m);
        }
      }
    }
    if (onPath.isEmpty()) {
      throw ApiError.notFound("no such path: " + clip(path));
    }
    if (found == null) {
      String allowed = onPath.stream().map(r -> r.method().name())
          .collect(Collectors.joining(", "));
      return CompletableFuture.completedFuture(Responses.message(StatusCodes.METHOD_NOT_ALLOWED,
          request.method().name() + " is not allowed on " + clip(path) + " (allowed: "
              + allowed + ")")
          .addHeader(Allow.create(onPath.stream().map(Route::method)
              .toArray(HttpMethod[]::new))));
    }
    Route route = found;
    List<String> vars = params;
    CompletionStage<User> caller = route.open()
        ? CompletableFuture.completedFuture(null) : auth.authenticate(request);
    return caller.thenCompose(user -> {
      if (user != null && !user.mayWrite() && !route.anyRole()
          && !route.method().equals(HttpMethods.GET)) {
        throw ApiError.forbidden("read-only user " + user.name() + " may not change anything");
      }
      return body(request, route.method()).thenCompose(bytes ->
          route.handler().handle(new Call(request, user, vars, bytes)));
    });
  }

  /** The body, whole, when the method has one; over {@link #MAX_BODY} it is a 413. */
  private CompletionStage<byte[]> body(HttpRequest request, HttpMethod method) {
    if (!method.equals(HttpMethods.POST) && !method.equals(HttpMethods.PATCH)) {
      return CompletableFuture.completedFuture(new byte[0]);
    }
    OptionalLong declared = request.entity().getContentLengthOption();
    if (declared.isPresent() && declared.getAsLong() > MAX_BODY) {
      return CompletableFuture.failedFuture(tooLarge());
    }
    return request.entity().toStrict(BODY_TIMEOUT_MS, MAX_BODY, mat)
        .<byte[]>thenApply(strict -> strict.getData().toArray())
        .exceptionally(e -> {
          Throwable cause = e instanceof java.util.concurrent.CompletionException
              && e.getCause() != null ? e.getCause() : e;
          if (cause instanceof EntityStreamSizeException) {
            throw tooLarge();
          }
          throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        });
  }

  private static ApiError tooLarge() {
    return ApiError.tooLarge("the body is over " + MAX_BODY + " bytes");
  }

  private static List<String> groups(Matcher m) {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= m.groupCount(); i++) {
      out.add(m.group(i));
    }
    return out;
  }

  private static String clip(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
