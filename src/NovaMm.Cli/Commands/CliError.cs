namespace NovaMm.Cli.Commands;

/// <summary>A user error the tool reports as one line with exit code 2.</summary>
internal sealed class CliError(string message) : Exception(message);
