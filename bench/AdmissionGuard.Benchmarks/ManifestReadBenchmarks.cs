using AdmissionGuard.Git;
using BenchmarkDotNet.Attributes;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// One application's manifest as GitOps repositories hold it: a Deployment, a Service and a ConfigMap beside the
/// NetworkPolicy. The block-style reader converts every document, or only those whose kind may declare a policy.
/// </summary>
[MemoryDiagnoser]
public class ManifestReadBenchmarks
{
    private const string AppManifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: checkout
          namespace: shop
          labels:
            app.kubernetes.io/name: checkout
            app.kubernetes.io/part-of: shop
        spec:
          replicas: 3
          selector:
            matchLabels:
              app.kubernetes.io/name: checkout
          template:
            metadata:
              labels:
                app.kubernetes.io/name: checkout
            spec:
              containers:
              - name: checkout
                image: registry.example.com/shop/checkout:1.42.0
                ports:
                - name: http
                  containerPort: 8080
                env:
                - name: DATABASE_HOST
                  value: db.shop.svc
                resources:
                  requests: {cpu: 100m, memory: 128Mi}
                  limits: {memory: 256Mi}
                readinessProbe:
                  httpGet: {path: /healthz, port: http}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: checkout
          namespace: shop
        spec:
          selector:
            app.kubernetes.io/name: checkout
          ports:
          - name: http
            port: 80
            targetPort: http
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: checkout
          namespace: shop
        data:
          LOG_LEVEL: info
          FEATURE_FLAGS: "new-cart,fast-pay"
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: checkout
          namespace: shop
        spec:
          podSelector:
            matchLabels:
              app.kubernetes.io/name: checkout
          policyTypes: [Ingress]
          ingress:
          - from:
            - namespaceSelector:
                matchLabels:
                  kubernetes.io/metadata.name: ingress-nginx
            ports:
            - port: 8080
        """;

    private static readonly string TypicalPolicy = Fixtures.Manifest(1);

    [Benchmark(Baseline = true)]
    public int EveryDocumentConverted() => Convert(policiesOnly: false);

    [Benchmark]
    public int PolicyDocumentsConverted() => Convert(policiesOnly: true);

    /// <summary>bench/scale.sh's typical file, a policy alone, converted.</summary>
    [Benchmark]
    public int TypicalPolicyConverted()
    {
        using var documents = BlockYamlToJson.TryConvert(TypicalPolicy, policiesOnly: true) ?? throw new InvalidOperationException("the manifest is outside the block style");
        return documents.Count;
    }

    /// <summary>The whole read of the file into its one policy, as a baseline's load reads it.</summary>
    [Benchmark]
    public int ReadAsTheLoadReadsIt() => ManifestReader.Read("shop/checkout.yaml", AppManifest, new ManifestReadOptions("default") { WithoutDigest = true }).Count;

    private static int Convert(bool policiesOnly)
    {
        using var documents = BlockYamlToJson.TryConvert(AppManifest, policiesOnly) ?? throw new InvalidOperationException("the manifest is outside the block style");
        return documents.Count(document => document is not null);
    }
}
