// Where the API server is and how the client authenticates: settings from the
// environment, and the token re-read by age and after a 401 (against the stand-in).
import { strict as assert } from "node:assert";
import { ApiConnection, apiServerUrl, apiSettingsFromEnv } from "../../../echo/kubernetes/apiConnection";
import { swapTokenFile } from "../../../lab/kubeApiStandIn";
import { Cleanup } from "../../support/cleanup";
import { TOKEN, startApiFixture } from "./apiFixture";

const LIST = "/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Decho";

async function statusOf(connection: ApiConnection): Promise<number | undefined> {
  const response = await connection.get(LIST, AbortSignal.timeout(5000));
  response.resume();
  return response.statusCode;
}

describe("Kubernetes API connection", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("uses the in-cluster variables and service account files, or the ECHO_K8S_* files instead", () => {
    assert.deepEqual(apiSettingsFromEnv({ KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }), {
      host: "10.96.0.1",
      port: 443,
      tokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token",
      caFile: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
    });
    const laptop = apiSettingsFromEnv({
      KUBERNETES_SERVICE_HOST: "fd00::1",
      KUBERNETES_SERVICE_PORT: "6443",
      ECHO_K8S_TOKEN_FILE: "/tmp/token",
      ECHO_K8S_CA_FILE: "/tmp/ca.crt",
    });
    assert.deepEqual([laptop.tokenFile, laptop.caFile], ["/tmp/token", "/tmp/ca.crt"]);
    assert.equal(apiServerUrl(laptop), "https://[fd00::1]:6443");
    assert.equal(apiServerUrl(apiSettingsFromEnv({ KUBERNETES_SERVICE_HOST: "[fd00::1]", KUBERNETES_SERVICE_PORT: "443" })), "https://[fd00::1]:443");
  });

  it("names the missing or bad variable", () => {
    assert.throws(() => apiSettingsFromEnv({}), /KUBERNETES_SERVICE_HOST: not set: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT/);
    assert.throws(() => apiSettingsFromEnv({ KUBERNETES_SERVICE_HOST: "10.96.0.1" }), /^EnvError: KUBERNETES_SERVICE_PORT: not set/);
    assert.throws(
      () => apiSettingsFromEnv({ KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "https" }),
      /KUBERNETES_SERVICE_PORT: must be a port number/,
    );
    assert.throws(
      () => new ApiConnection({ host: "127.0.0.1", port: 1, tokenFile: "/nonexistent/token", caFile: "/nonexistent/ca.crt" }),
      /CA certificate \/nonexistent\/ca.crt/,
    );
  });

  it("verifies the server against the CA file, over IPv4 and IPv6", async () => {
    for (const host of ["127.0.0.1", "::1"]) {
      const { settings } = await startApiFixture(cleanup, {}, host);
      const connection = new ApiConnection(settings());
      cleanup.add(() => connection.close());
      assert.equal(await statusOf(connection), 200, host);
    }
  });

  it("reads the token file again once the copy is older than the max age", async () => {
    const { api, settings, tokenFile } = await startApiFixture(cleanup, { tokens: ["first", "second"] });
    const connection = new ApiConnection(settings({ tokenMaxAgeMs: 1500 }));
    cleanup.add(() => connection.close());
    assert.equal(await statusOf(connection), 200);
    swapTokenFile(tokenFile, "second");
    assert.equal(await statusOf(connection), 200);
    assert.equal(api.requestsByToken.get("second"), undefined, "re-read before the max age");
    await new Promise((resolve) => setTimeout(resolve, 1600));
    assert.equal(await statusOf(connection), 200);
    assert.deepEqual(Object.fromEntries(api.requestsByToken), { first: 2, second: 1 });
  });

  it("after a 401 reads the swapped token file at once and retries once; a second 401 is returned", async () => {
    const { api, settings, tokenFile } = await startApiFixture(cleanup, { tokens: ["old"] });
    const connection = new ApiConnection(settings());
    cleanup.add(() => connection.close());
    assert.equal(await statusOf(connection), 200);
    swapTokenFile(tokenFile, "new");
    api.setTokens(["new"]);
    assert.equal(await statusOf(connection), 200);
    assert.deepEqual(Object.fromEntries(api.requestsByToken), { old: 2, new: 1 });
    assert.equal(api.unauthorized, 1);

    api.setTokens([TOKEN]);
    assert.equal(await statusOf(connection), 401);
    assert.equal(api.unauthorized, 3, "one retry, not more");
  });

  it("names the token file it cannot read", async () => {
    const { settings } = await startApiFixture(cleanup);
    const connection = new ApiConnection(settings({ tokenFile: "/nonexistent/token" }));
    await assert.rejects(statusOf(connection), /cannot read the service account token \/nonexistent\/token: ENOENT/);
  });
});
