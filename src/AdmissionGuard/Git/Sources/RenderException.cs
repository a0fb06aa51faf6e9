namespace AdmissionGuard.Git.Sources;

/// <summary>A source that cannot be rendered, naming the file at fault (usually a kustomization file): the commit is invalid.</summary>
internal sealed class RenderException(string file, string problem) : Exception($"{file}: {problem}")
{
    public string File { get; } = file;
}
