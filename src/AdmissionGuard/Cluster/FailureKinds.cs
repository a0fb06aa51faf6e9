using k8s.Autorest;
using Polly.Timeout;

namespace AdmissionGuard.Cluster;

/// <summary>
/// The kinds of failure a writer has met since it last worked: a refusal that repeats on every write (a
/// missing RBAC rule) is logged the first time, and counted after that, rather than logged on every write.
/// </summary>
internal sealed class FailureKinds
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>True the first time this kind of failure is met, until <see cref="Clear"/>.</summary>
    public bool IsNew(Exception error)
    {
        lock (_gate)
        {
            return _seen.Add(Of(error));
        }
    }

    /// <summary>Forgets the failures met; true if there were any, so that the recovery is logged once too.</summary>
    public bool Clear()
    {
        lock (_gate)
        {
            var any = _seen.Count > 0;
            _seen.Clear();
            return any;
        }
    }

    /// <summary>An HTTP status, or what kept the request from getting one.</summary>
    public static string Of(Exception error) => error switch
    {
        HttpOperationException http => ((int?)http.Response?.StatusCode)?.ToString() ?? "http",
        TimeoutRejectedException => "timeout",
        HttpRequestException or IOException => "unreachable",
        _ => error.GetType().Name,
    };
}
