namespace AdmissionGuard.Git.Sources;

/// <summary>Which GitOps tools' objects in the repository name sources (<c>Git:Discover</c>).</summary>
[Flags]
public enum DiscoverTools
{
    None = 0,
    Flux = 1,
    ArgoCD = 2,
    All = Flux | ArgoCD,
}
