namespace AdmissionGuard.Cluster;

/// <summary>What the reporting replica does about drift that lasts (<c>Drift:Remediate</c>).</summary>
public enum RemediationMode
{
    /// <summary>Reports it, nothing more.</summary>
    None,

    /// <summary>Asks the GitOps tool that owns the policy to reconcile (Flux's requestedAt, Argo CD's sync operation).</summary>
    RequestSync,

    /// <summary>Restores Git's version itself, as <c>drift --fix --yes</c> does (never deletes).</summary>
    Apply,
}
