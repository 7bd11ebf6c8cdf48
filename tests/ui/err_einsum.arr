print(einsum("ij,jk->ik", ones(2, 3), ones(4, 5)))
