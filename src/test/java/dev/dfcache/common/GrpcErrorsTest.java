package dev.dfcache.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Any;
import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.GrpcDfError;
import io.grpc.Status;
import org.apache.pekko.grpc.GrpcServiceException;
import org.junit.jupiter.api.Test;

class GrpcErrorsTest {
  @Test
  void errorsTravelAsUnknownWithCodedMessageAndDetail() throws Exception {
    GrpcServiceException e = GrpcErrors.toGrpc(DfException.notFound("task x not found"));
    assertEquals(Status.Code.UNKNOWN, e.getStatus().getCode());
    assertEquals("[1404]task x not found", e.getStatus().getDescription());
    byte[] details = e.getMetadata().getBinary(GrpcErrors.DETAILS_KEY).get().toArray();
    com.google.rpc.Status rich = com.google.rpc.Status.parseFrom(details);
    GrpcDfError df = rich.getDetails(0).unpack(GrpcDfError.class);
    assertEquals(Code.PeerTaskNotFound, df.getCode());
    assertEquals("task x not found", df.getMessage());
    assertEquals("type.googleapis.com/common.GrpcDfError", rich.getDetails(0).getTypeUrl());
  }

  @Test
  void codedMessagesAreReadBack() {
    DfException back = GrpcErrors.fromStatusException(
        Status.UNKNOWN.withDescription("[1400]bad").asRuntimeException());
    assertEquals(Code.BadRequest, back.code());
    assertEquals("bad", back.getMessage());
    assertEquals(Code.ServerUnavailable, GrpcErrors.fromStatusException(
        Status.UNAVAILABLE.asRuntimeException()).code());
    Any.pack(GrpcDfError.getDefaultInstance());
  }
}
