using Microsoft.AspNetCore.Connections.Features;

namespace AdmissionGuard.Hosting;

/// <summary>
/// Endpoint metadata naming the Kestrel listener (<c>Kestrel:Endpoints:Webhook</c> or <c>:Ops</c>) an
/// endpoint answers on. Connections are tagged with their listener's name as they are accepted.
/// </summary>
public sealed record ServedOn(string Listener)
{
    public const string ConnectionItem = "AdmissionGuard.Listener";

    public static ServedOn Webhook { get; } = new("Webhook");

    public static ServedOn Ops { get; } = new("Ops");

    /// <summary>404 for an endpoint reached through the other listener: /status never leaks on the webhook port, /validate never on ops.</summary>
    public static IApplicationBuilder UseListenerSeparation(IApplicationBuilder app) => app.Use((context, next) =>
    {
        var required = context.GetEndpoint()?.Metadata.GetMetadata<ServedOn>();
        if (required is not null
            && context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ConnectionItem, out var listener) == true
            && !Equals(listener, required.Listener))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return next(context);
    });
}
