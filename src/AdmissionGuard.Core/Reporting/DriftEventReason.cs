namespace AdmissionGuard.Core.Reporting;

/// <summary>The <c>reason</c> of a Kubernetes Event that AdmissionGuard records on a NetworkPolicy.</summary>
public enum DriftEventReason
{
    /// <summary>Warning: the policy started to differ from Git.</summary>
    DriftDetected,

    /// <summary>Warning: the policy still differs from Git, in another way (or another writer changed it).</summary>
    DriftChanged,

    /// <summary>Normal: the policy no longer differs from Git.</summary>
    DriftResolved,

    /// <summary>Normal: AdmissionGuard restored Git's version, or asked the GitOps tool to.</summary>
    Remediated,
}
