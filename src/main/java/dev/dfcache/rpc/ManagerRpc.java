package dev.dfcache.rpc;

import dev.dfcache.api.manager.GetSchedulerRequest;
import dev.dfcache.api.manager.KeepAliveRequest;
import dev.dfcache.api.manager.KeepAliveResponse;
import dev.dfcache.api.manager.ListSchedulersRequest;
import dev.dfcache.api.manager.ListSchedulersResponse;
import dev.dfcache.api.manager.Scheduler;
import dev.dfcache.api.manager.UpdateSchedulerRequest;

/** The manager.Manager methods, for components (plain grpc-java callers). */
public final class ManagerRpc {
  private static final String SERVICE = "manager.Manager";

  public static final UnaryMethod<UpdateSchedulerRequest, Scheduler> UPDATE_SCHEDULER =
      UnaryMethod.of(SERVICE, "UpdateScheduler", UpdateSchedulerRequest.getDefaultInstance(),
          Scheduler.getDefaultInstance());
  public static final UnaryMethod<GetSchedulerRequest, Scheduler> GET_SCHEDULER =
      UnaryMethod.of(SERVICE, "GetScheduler", GetSchedulerRequest.getDefaultInstance(),
          Scheduler.getDefaultInstance());
  public static final UnaryMethod<ListSchedulersRequest, ListSchedulersResponse> LIST_SCHEDULERS =
      UnaryMethod.of(SERVICE, "ListSchedulers", ListSchedulersRequest.getDefaultInstance(),
          ListSchedulersResponse.getDefaultInstance());
  public static final UnaryMethod<KeepAliveRequest, KeepAliveResponse> KEEP_ALIVE =
      UnaryMethod.of(SERVICE, "KeepAlive", KeepAliveRequest.getDefaultInstance(),
          KeepAliveResponse.getDefaultInstance());

  private ManagerRpc() {}
}
