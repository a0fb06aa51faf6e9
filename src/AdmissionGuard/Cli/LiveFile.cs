using AdmissionGuard.Cluster;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;

namespace AdmissionGuard.Cli;

/// <summary>
/// A saved copy of the cluster's NetworkPolicies: the output of <c>kubectl get networkpolicies -A -o yaml</c>
/// or <c>-o json</c> (a <c>List</c>), or multi-document YAML. Server metadata (uid, resourceVersion, status)
/// is ignored, as the API server's defaults are; managedFields, which kubectl saves only with
/// <c>--show-managed-fields</c>, say who last changed a drifted policy.
/// </summary>
internal static class LiveFile
{
    public static IReadOnlyList<CanonicalPolicy> Read(string path, string defaultNamespace)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new ClusterException($"live file {path} is a directory: give the file that kubectl get networkpolicies -A -o yaml wrote");
        }

        if (!File.Exists(full))
        {
            throw new ClusterException($"live file not found: {full}");
        }

        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClusterException($"live file {path} cannot be read: {e.Message}", e);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            // Most often a kubectl that failed while its output was redirected: not "no policies".
            throw new ClusterException($"live file {path} is empty: expected the output of kubectl get networkpolicies -A -o yaml (a cluster without policies gives a List with no items)");
        }

        IReadOnlyList<DeclaredPolicy> read;
        try
        {
            read = ManifestReader.Read(path, text, new ManifestReadOptions(defaultNamespace) { Live = true });
        }
        catch (ManifestException e)
        {
            throw new ClusterException($"live file {e.Message}", e);
        }

        var seen = new Dictionary<PolicyKey, DeclaredPolicy>();
        foreach (var policy in read)
        {
            if (!seen.TryAdd(policy.Policy.Id, policy))
            {
                throw new ClusterException(
                    $"live file: NetworkPolicy {policy.Policy.Id} appears twice ({seen[policy.Policy.Id].Location} and {policy.Location}); save one snapshot of the cluster");
            }
        }

        return [.. read.Select(p => p.Policy)];
    }
}
