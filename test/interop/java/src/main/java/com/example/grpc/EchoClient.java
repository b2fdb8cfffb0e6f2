package com.example.grpc;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;

/**
 * Echo client in the style of the classic example: calls {@code echo} and prints
 * {@code <from> echoed} for every response.
 *
 * <p>Settings, an argument winning over the environment: {@code [target] [requests]},
 * or ECHO_SERVICE_TARGET (default localhost:8080), ECHO_REQUESTS (default 10).
 * Unlike the original, which loops forever on 4 threads, it makes that many calls
 * one after another (2 s deadline each) and exits 0 only if every call succeeded.
 */
public class EchoClient {
  public static void main(String[] args) throws Exception {
    String target = EchoServer.setting(args, 0, "ECHO_SERVICE_TARGET", "localhost:8080");
    int requests = Integer.parseInt(EchoServer.setting(args, 1, "ECHO_REQUESTS", "10"));

    ManagedChannel channel =
        Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    int failed = 0;
    try {
      EchoServiceGrpc.EchoServiceBlockingStub stub = EchoServiceGrpc.newBlockingStub(channel);
      for (int i = 0; i < requests; i++) {
        String message = "Hello " + i;
        try {
          EchoResponse response =
              stub.withDeadlineAfter(2, TimeUnit.SECONDS)
                  .echo(EchoRequest.newBuilder().setMessage(message).build());
          if (!message.equals(response.getMessage())) {
            failed++;
            System.out.println("FAILED: sent '" + message + "', got '" + response.getMessage() + "'");
            continue;
          }
          System.out.println(response.getFrom() + " echoed");
        } catch (StatusRuntimeException e) {
          failed++;
          System.out.println("FAILED: " + e.getStatus());
        }
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    System.out.println((requests - failed) + " ok, " + failed + " failed");
    System.exit(failed == 0 ? 0 : 1);
  }
}
