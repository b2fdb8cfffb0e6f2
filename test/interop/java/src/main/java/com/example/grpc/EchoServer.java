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
 */
public class EchoServer {
  static class EchoServiceImpl extends EchoServiceGrpc.EchoServiceImplBase {
    private final String from;

    EchoServiceImpl(String from) {
      this.from = from;
    }

    @Override
    public void echo(EchoRequest request, StreamObserver<EchoResponse> responseObserver) {
      System.out.println("Received: " + request.getMessage());
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

    Server server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(host, port), InsecureServerCredentials.create())
            .addService(new EchoServiceImpl(from))
            .build()
            .start();
    System.out.println("Server started on " + host + ":" + port + ", from " + from);

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
