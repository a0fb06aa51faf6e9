namespace AdmissionGuard.Cluster;

/// <summary>
/// <c>AdmissionGuard:Drift</c>: the drift scanner of <c>serve</c>. It lists and watches the cluster's
/// NetworkPolicies and reports drift from the holder of a Lease, so that one replica reports.
/// </summary>
public sealed class DriftOptions
{
    public const string Section = "AdmissionGuard:Drift";

    public const string DefaultLeaseName = "admissionguard-drift";

    public const string ServiceAccountNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

    public bool Enabled { get; set; }

    public string LeaseName { get; set; } = DefaultLeaseName;

    /// <summary>
    /// Keep a <c>wgpolicyk8s.io</c> PolicyReport per governed namespace (needs the CRD, and the RBAC of
    /// <c>deploy/components/policy-reports</c>).
    /// </summary>
    public bool PolicyReports { get; set; }

    /// <summary>Namespace of the Lease; default: the pod's namespace, else "admissionguard".</summary>
    public string? Namespace { get; set; }

    /// <summary>Who holds the Lease; default: the pod name (HOSTNAME).</summary>
    public string? Identity { get; set; }

    /// <summary>A kubeconfig file, for running outside the cluster; default: the in-cluster service account.</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>The kubeconfig context; default: its current context.</summary>
    public string? Context { get; set; }

    /// <summary>What the reporting replica does about lasting drift; default <see cref="RemediationMode.None"/>.</summary>
    public RemediationMode Remediate { get; set; }

    /// <summary>How long a policy stays drifted before it is remediated, and between two attempts; default 5 minutes.</summary>
    public TimeSpan RemediateAfter { get; set; } = DefaultRemediateAfter;

    public static readonly TimeSpan DefaultRemediateAfter = TimeSpan.FromMinutes(5);

    public string EffectiveNamespace => Namespace is { Length: > 0 } ns ? ns : PodNamespace() ?? "admissionguard";

    public string EffectiveIdentity => Identity is { Length: > 0 } id
        ? id
        : Environment.GetEnvironmentVariable("HOSTNAME") is { Length: > 0 } host ? host : Environment.MachineName;

    private static string? PodNamespace()
    {
        if (Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment.Trim();
        }

        try
        {
            return File.Exists(ServiceAccountNamespaceFile) && File.ReadAllText(ServiceAccountNamespaceFile).Trim() is { Length: > 0 } fromFile
                ? fromFile
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
