package com.example.grpc;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Echo server in the style of the classic example: answers every echo with the
 * message and {@code from} = this server's address, and logs {@code Received: <message>}.
 *
 * <p>Settings, an argument winning over the environment: {@code [host] [port] [from]},
 * or HOST (default 0.0.0.0), PORT (default 8080), POD_IP (default this host's address,
 * as the original's {@code InetAddress.getLocalHost().getHostAddress()}).
 * LOG_REQUESTS=false turns the per-call log line off (as on our server), so the peer
 * benchmark compares serving without logging on both sides; the original always logs.
 */
public class EchoServer {
  static class EchoServiceImpl extends EchoServiceGrpc.EchoServiceImplBase {
    private final String from;
    private final boolean logRequests;

    EchoServiceImpl(String from, boolean logRequests) {
      this.from = from;
      this.logRequests = logRequests;
    }

    @Override
    public void echo(EchoRequest request, StreamObserver<EchoResponse> responseObserver) {
      if (logRequests) System.out.println("Received: " + request.getMessage());
      responseObserver.onNext(
          EchoResponse.newBuilder().setMessage(request.getMessage()).setFrom(from).build());
      responseObserver.onCompleted();
    }
  }

  static String setting(String[] args, int index, String env, String fallback) {
    if (args.length > index && !args[index].isEmpty()) return args[index];
    String value = System.getenv(env);
    return value == null || value.isEmpty() ? fallback : value;
  }

  public static void main(String[] args) throws Exception {
    String host = setting(args, 0, "HOST", "0.0.0.0");
    int port = Integer.parseInt(setting(args, 1, "PORT", "8080"));
    String from = setting(args, 2, "POD_IP", null);
    if (from == null) from = InetAddress.getLocalHost().getHostAddress();
    boolean logRequests = !"false".equalsIgnoreCase(System.getenv("LOG_REQUESTS"));

    Server server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(host, port), InsecureServerCredentials.create())
            .addService(new EchoServiceImpl(from, logRequests))
            .build()
            .start();
    System.out.println(
        "Server started on " + host + ":" + port + ", from " + from
            + (logRequests ? "" : ", request logging off"));

    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.shutdown();
                  try {
                    server.awaitTermination(5, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  server.shutdownNow();
                }));
    server.awaitTermination();
  }
}
