namespace NovaMm.Cli.Tests;
