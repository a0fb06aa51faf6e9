namespace AdmissionGuard.Git;

/// <summary>How the policies of one manifest text are placed: their default namespace, and for a render, where it came from.</summary>
/// <param name="DefaultNamespace">For objects that name none.</param>
internal sealed record ManifestReadOptions(string DefaultNamespace)
{
    /// <summary>Every policy is put in this namespace (Flux's <c>targetNamespace</c>).</summary>
    public string? TargetNamespace { get; init; }

    /// <summary>For kustomize output: the folder the origin annotations' paths are relative to.</summary>
    public string? RenderedFrom { get; init; }

    /// <summary>The cluster's objects as kubectl saved them, not manifests: keep their managedFields summary.</summary>
    public bool Live { get; init; }

    /// <summary>For kustomize output without origin annotations: the repository path of the file declaring the policy of a rendered name, or null.</summary>
    public Func<string, string?>? OriginOf { get; init; }

    /// <summary>For kustomize output: the source folder, as messages name it (<c>apps/base/db.yaml via apps/overlays/prod</c>).</summary>
    public string? Via { get; init; }

    /// <summary>
    /// Keep each policy's served spec, not only its digest: a repair applies it, and reading the file again for a repair
    /// would mean rendering its source again.
    /// </summary>
    public bool KeepServedSpec { get; init; }

    /// <summary>
    /// Leave out the digest of each policy's served spec (<see cref="DeclaredPolicy.ServedDigest"/>), a third of a file's
    /// read: a new pod's first baseline is put in force without them, and <see cref="LaterDigests"/> adds them after.
    /// </summary>
    public bool WithoutDigest { get; init; }
}
