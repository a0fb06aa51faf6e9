namespace AdmissionGuard.Tests.Server;

/// <summary>The Git side of the end-to-end tests: the policies of the API server fixtures as a GitOps repository declares them.</summary>
public static class GitOpsRepository
{
    // Written the way people write manifests: no protocol, no policyTypes (the API server adds both).
    public const string DefaultNamespace = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: allow-np
          namespace: default
        spec:
          podSelector: {}
          ingress:
          - ports:
            - port: 80
        ---
        # Not a NetworkPolicy: skipped.
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings, namespace: default}
        data: {a: b}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: ssa-np
          namespace: default
        spec:
          podSelector: {}
          ingress:
          - ports:
            - port: 80
        """;

    public static Dictionary<string, string> Files() => new() { ["apps/default.yaml"] = DefaultNamespace };
}
