namespace AdmissionGuard.Core.Policy;

/// <summary>A NetworkPolicy that the API server would not accept, with the field path that is wrong.</summary>
public sealed class PolicyFormatException(string path, string problem) : Exception($"{path}: {problem}")
{
    public string Path { get; } = path;

    public string Problem { get; } = problem;
}
