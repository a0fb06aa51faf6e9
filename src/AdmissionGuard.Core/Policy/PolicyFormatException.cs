namespace AdmissionGuard.Core.Policy;

/// <summary>A NetworkPolicy that the API server would not accept, with the field path that is wrong.</summary>
/// <remarks>Field names and values from the input are escaped (<see cref="OneLine"/>): the message is one line.</remarks>
public sealed class PolicyFormatException(string path, string problem) : Exception($"{OneLine.Escape(path)}: {OneLine.Escape(problem)}")
{
    public string Path { get; } = OneLine.Escape(path);

    public string Problem { get; } = OneLine.Escape(problem);
}
