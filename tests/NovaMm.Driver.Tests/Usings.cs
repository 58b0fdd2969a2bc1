namespace NovaMm.Driver.Tests;
