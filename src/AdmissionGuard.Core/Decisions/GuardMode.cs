namespace AdmissionGuard.Core.Decisions;

public enum GuardMode
{
    Enforce,
    Warn,
}

/// <summary>What to do with a request when the usual rule has no answer (unmanaged object, no baseline).</summary>
public enum Fallback
{
    Deny,
    Allow,
}
