"""核查: the suspected-dropout lists the national platform pushes down, matched with the register, verified row by
row by the townships, and sent back as the platform's own file with the verification appended."""
