using System.Text.Json.Nodes;

namespace AdmissionGuard.Tests.Drift;

/// <summary>
/// The Git side of the drift tests, and the live side as kubectl saved it (Fixtures/live). Against
/// this Git, Fixtures/live/cluster.yaml (and .json, the same objects) has shop/api equivalent (with
/// API-server defaults and reordering), shop/db modified (0.0.0.0/0 added on 5432), shop/default-deny
/// missing, shop/debug-allow-all unmanaged, and kube-system/allow-dns out of scope (excluded).
/// </summary>
public static class DriftFixtures
{
    public const string Api = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: api
          namespace: shop
        spec:
          podSelector:
            matchLabels: {app: api}
          ingress:
          - from:
            - podSelector:
                matchLabels: {app: web}
            ports:
            - port: 8080
          egress:
          - to:
            - podSelector:
                matchLabels: {app: db}
            ports:
            - port: 5432
        """;

    public const string Db = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: db
          namespace: shop
        spec:
          podSelector:
            matchLabels: {app: db}
          ingress:
          - from:
            - podSelector:
                matchLabels: {app: api}
            ports:
            - port: 5432
        """;

    /// <summary>Second document of its file, after a ConfigMap: SARIF points at line 7, the first after its <c>---</c>.</summary>
    public const string DefaultDeny = """
        # Shared settings of the shop namespace.
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: shop-settings, namespace: shop}
        data: {tier: gold}
        ---
        # Every pod in shop starts with no traffic allowed.
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: default-deny
          namespace: shop
        spec:
          podSelector: {}
          policyTypes: [Ingress, Egress]
        """;

    public const int DefaultDenyLine = 7;

    public static Dictionary<string, string> GitFiles() => new()
    {
        ["shop/api.yaml"] = Api,
        ["shop/db.yaml"] = Db,
        ["shop/default-deny.yaml"] = DefaultDeny,
    };

    public static string Live(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "live", file);

    /// <summary>The objects of Fixtures/live/cluster.json, as the API server serves them.</summary>
    public static JsonObject[] LiveObjects() =>
        [.. JsonNode.Parse(File.ReadAllText(Live("cluster.json")))!["items"]!.AsArray().Select(i => i!.AsObject().DeepClone().AsObject())];

    public static JsonObject LiveObject(string name) => LiveObjects().Single(o => o["metadata"]!["name"]!.GetValue<string>() == name);

    /// <summary>shop/db as Git declares it, as the API server would serve it after a GitOps sync.</summary>
    public static JsonObject DbRestored()
    {
        var db = LiveObject("db");
        db["spec"]!["ingress"]!.AsArray().RemoveAt(1);
        return db;
    }

    public static JsonObject Unmanaged(string ns, string name) => new()
    {
        ["apiVersion"] = "networking.k8s.io/v1",
        ["kind"] = "NetworkPolicy",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = Guid.NewGuid().ToString(), ["creationTimestamp"] = "2026-11-27T01:02:03Z", ["generation"] = 1 },
        ["spec"] = JsonNode.Parse("""{"podSelector":{},"ingress":[{}],"policyTypes":["Ingress"]}"""),
    };

    /// <summary>
    /// np-mf.yaml: the first version of the NetworkPolicy whose life Fixtures/managedfields records (see its README),
    /// as Git declares it.
    /// </summary>
    public const string WebAllowFrontend = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: web-allow-frontend
          namespace: fx-mf
        spec:
          podSelector:
            matchLabels:
              app: web
          policyTypes:
          - Ingress
          ingress:
          - from:
            - podSelector:
                matchLabels:
                  role: frontend
            ports:
            - protocol: TCP
              port: 8080
        """;

    /// <summary>One object of Fixtures/managedfields as kubectl saved it (with <c>--show-managed-fields</c>).</summary>
    public static JsonObject Recorded(string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "managedfields", file)))!.AsObject();

    /// <summary>Adds the break-glass annotations (default keys) to an object.</summary>
    public static JsonObject WithBreakGlass(JsonObject policy, string reason, DateTimeOffset expires)
    {
        var metadata = policy["metadata"]!.AsObject();
        if (metadata["annotations"] is not JsonObject annotations)
        {
            metadata["annotations"] = annotations = [];
        }

        annotations["admissionguard.io/break-glass"] = reason;
        annotations["admissionguard.io/break-glass-expires"] = Time(expires);
        return policy;
    }

    /// <summary>RFC 3339 in UTC, whole seconds, as kubectl annotate users write it.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The items of a JSON drift report, one line each: "namespace/name type gitPath: differences".</summary>
    public static List<string> Items(JsonNode report) =>
        [.. report["items"]!.AsArray().Select(i =>
            $"{i!["namespace"]}/{i["name"]} {i["type"]} {i["gitPath"]?.GetValue<string>() ?? "-"}"
            + (i["differences"]!.AsArray().Count > 0 ? ": " + string.Join("; ", i["differences"]!.AsArray().Select(d => d!.GetValue<string>())) : ""))];
}
